/*
 * meminfo.c - the meminfo sampler: every line of /proc/meminfo as a u64
 * data metric named after its key, in file order, in kB as written.
 */
#include "config.h"

#include "plugins/plugin.h"
#include "plugins/procfile.h"
#include "plugins/sampler_base.h"

static const char *const attrs[] = {VG_BASE_ATTRS, NULL};

static const char *meminfo_usage(void)
{
	return "config name=<instance> producer=<name> instance=<set name> [component_id=<n>]\n"
	       "       [schema=meminfo] [job_set=job_info] [uid=<user>] [gid=<group>] "
	       "[perm=0440]\n"
	       "    One u64 metric per line of /proc/meminfo, in file order (kB).\n";
}

static int meminfo_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	return vg_kvsampler_config(p, kv, "meminfo", "meminfo", err);
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "meminfo",
	.type = VG_PLUGIN_SAMPLER,
	.summary = "memory usage from /proc/meminfo",
	.usage = meminfo_usage,
	.config = meminfo_config,
	.sample = vg_kvsampler_sample,
	.term = vg_kvsampler_term,
	.attrs = attrs,
};
