/* numabench counters: what this host allows and has (perf_event_paranoid, CAP_PERFMON, a
 * core PMU, /proc/cpuinfo fields), read through the fsroot layer. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

int paranoid(void)
{
	long v;
	return nb_read_long("/proc/sys/kernel/perf_event_paranoid", &v) ? 2 : (int)v;
}

/* CAP_PERFMON (38) or CAP_SYS_ADMIN (21) in the effective set: what perfmon_capable()
 * checks (include/linux/capability.h). */
bool perf_capable(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 38 & 1) || (eff >> 21 & 1);
}

/* Kernel-mode counting is allowed to root or with perf_event_paranoid < 2
 * (kernel/events/core.c perf_allow_kernel). */
bool kernel_allowed(void)
{
	return perf_capable() || paranoid() < 2;
}

/* A core PMU registered with perf: x86 "cpu" (hybrid "cpu_core"/"cpu_atom"), arm "armv8_*". */
bool hw_pmu_present(void)
{
	char path[512];
	bool found = false;
	DIR *d = opendir(nb_sys_path("/sys/bus/event_source/devices", path, sizeof(path)));
	if (!d)
		return false;
	for (struct dirent *e; !found && (e = readdir(d));)
		found = !strcmp(e->d_name, "cpu") || !strncmp(e->d_name, "cpu_", 4) ||
			!strncmp(e->d_name, "armv8", 5);
	closedir(d);
	return found;
}

/* One field of /proc/cpuinfo's first processor ("vendor_id", "model", ...), or "". */
void cpuinfo_field(const char *key, char *out, size_t len)
{
	char line[512];
	size_t kl = strlen(key);
	out[0] = 0;
	FILE *f = nb_sys_fopen("/proc/cpuinfo");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && line[0] != '\n') {
		char *colon = strchr(line, ':');
		if (strncmp(line, key, kl) || !colon || (line[kl] != ' ' && line[kl] != '\t'))
			continue;
		snprintf(out, len, "%s", colon + 1 + (colon[1] == ' '));
		out[strcspn(out, "\n")] = 0;
		break;
	}
	fclose(f);
}

const char *no_pmu_reason(void)
{
	char flags[4096];
	cpuinfo_field("flags", flags, sizeof(flags));
	if (strstr(flags, " hypervisor") || !strncmp(flags, "hypervisor", 10))
		return "no hardware PMU (VM?)";
	return "no hardware PMU (the kernel registered no core PMU for this CPU)";
}
