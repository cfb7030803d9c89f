/*
 * vmstat.c - the vmstat sampler: every "name value" line of /proc/vmstat as
 * a u64 data metric, in file order.
 */
#include "config.h"

#include "plugins/plugin.h"
#include "plugins/procfile.h"
#include "plugins/sampler_base.h"

static const char *const attrs[] = {VG_BASE_ATTRS, NULL};

static const char *vmstat_usage(void)
{
	return "config name=<instance> producer=<name> instance=<set name> [component_id=<n>]\n"
	       "       [schema=vmstat] [job_set=job_info] [uid=<user>] [gid=<group>] "
	       "[perm=0440]\n"
	       "    One u64 metric per line of /proc/vmstat, in file order.\n";
}

static int vmstat_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	return vg_kvsampler_config(p, kv, "vmstat", "vmstat", err);
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "vmstat",
	.type = VG_PLUGIN_SAMPLER,
	.summary = "virtual memory counters from /proc/vmstat",
	.usage = vmstat_usage,
	.config = vmstat_config,
	.sample = vg_kvsampler_sample,
	.term = vg_kvsampler_term,
	.attrs = attrs,
};
