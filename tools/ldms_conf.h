/*
 * ldms_conf.h - ldms-conf's up and down (ldms_conf_run.c), called by main
 * (ldms_conf.c).
 */
#ifndef VIGIL_LDMS_CONF_H
#define VIGIL_LDMS_CONF_H

#include "ldms-conf/cluster.h"

/* How long up waits for the daemons to listen, and down for them to exit. */
#define LDMS_CONF_UP_TIMEOUT_S 20
#define LDMS_CONF_DOWN_TIMEOUT_S 10

/*
 * Start every daemon of c whose host is this machine as
 * `ldmsd -y FILE -n NAME -F -r RUN/NAME.pid -l RUN/NAME.log` in the
 * background; wait until each is up (its pid file names it: it listens and
 * has read its config) or has failed.  Exit status for main: 0 or 1.
 */
int ldms_conf_up(const struct vg_cluster *c, const char *run_dir);

/* Stop them by their pid files: SIGTERM, then SIGKILL after the deadline. */
int ldms_conf_down(const struct vg_cluster *c, const char *run_dir);

#endif /* VIGIL_LDMS_CONF_H */
