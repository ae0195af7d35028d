/* numabench counters: this host's core PMU, from CPUID on a live x86 host, perf's sysfs and
 * /proc/sys/kernel/nmi_watchdog, read through the fsroot layer. */
#include "counters_int.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* The perf core PMU folder name under /sys/bus/event_source/devices, or "" when none. */
static void core_pmu_dir(char *out, size_t len)
{
	char path[512];
	out[0] = 0;
	DIR *d = opendir(nb_sys_path("/sys/bus/event_source/devices", path, sizeof(path)));
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (!strcmp(e->d_name, "cpu") || !strncmp(e->d_name, "armv8", 5) ||
		    (!out[0] && !strcmp(e->d_name, "cpu_core")))
			snprintf(out, len, "%s", e->d_name);
	closedir(d);
}

#if defined(__x86_64__) || defined(__i386__)
/* Intel CPUID leaf 0xA: EAX[15:8] general counters per logical processor, EDX[4:0] fixed
 * counters (version > 1), EBX bit i set = architectural event i (0 cycles, 1 instructions,
 * 2 reference cycles) not available. Fixed counter 0 counts instructions, 1 cycles, 2 ref. */
static bool cpuid_intel(struct nb_pmu *p)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(0xa, 0, &a, &b, &c, &d) || !(a & 0xff))
		return false;
	static const enum nb_need by_fixed[] = {NB_NEED_INSTR, NB_NEED_CYCLES, NB_NEED_REF};
	static const int arch_bit[] = {1, 0, 2};
	unsigned nfixed = (a & 0xff) > 1 ? d & 0x1f : 0;
	p->general = (int)(a >> 8 & 0xff);
	for (unsigned i = 0; i < nfixed && i < 3; i++)
		if (!(b >> arch_bit[i] & 1))
			p->fixed |= NB_FIXED(by_fixed[i]);
	snprintf(p->source, sizeof(p->source),
		 "CPUID 0xA: version %u, %d general counters per thread, %u fixed", a & 0xff,
		 p->general, nfixed);
	return true;
}

/* AMD: CPUID 0x80000022 EBX[3:0] (PerfMonV2, Zen 4), else 6 core counters with
 * PerfCtrExtCore (0x80000001 ECX bit 23), else the legacy 4 (arch/x86/events/amd/core.c). */
static bool cpuid_amd(struct nb_pmu *p)
{
	unsigned a, b, c, d, max;
	if (!__get_cpuid(0x80000000, &max, &b, &c, &d))
		return false;
	if (max >= 0x80000022 && __get_cpuid(0x80000022, &a, &b, &c, &d) && (a & 1)) {
		p->general = (int)(b & 0xf);
		snprintf(p->source, sizeof(p->source), "CPUID 0x80000022: %d core counters",
			 p->general);
		return true;
	}
	if (!__get_cpuid(0x80000001, &a, &b, &c, &d))
		return false;
	p->general = c >> 23 & 1 ? 6 : 4;
	snprintf(p->source, sizeof(p->source), "CPUID 0x80000001: PerfCtrExtCore %s: %d counters",
		 c >> 23 & 1 ? "set" : "clear", p->general);
	return true;
}
#endif

static void detect_x86(struct nb_pmu *p, const char *vendor)
{
	p->arch = strstr(vendor, "Intel")			     ? NB_PMU_INTEL
		  : strstr(vendor, "AMD") || strstr(vendor, "Hygon") ? NB_PMU_AMD
								     : NB_PMU_UNKNOWN;
#if defined(__x86_64__) || defined(__i386__)
	/* CPUID describes this machine, not a replayed tree. */
	if (!nb_fsroot()[0])
		p->known = p->arch == NB_PMU_INTEL ? cpuid_intel(p)
			   : p->arch == NB_PMU_AMD ? cpuid_amd(p)
						   : false;
#endif
	if (!p->known)
		snprintf(p->source, sizeof(p->source),
			 "%s: counter count not readable (replayed tree or unknown vendor)",
			 vendor[0] ? vendor : "unknown vendor");
}

void nb_pmu_detect(struct nb_pmu *p)
{
	char dir[64], path[160], vendor[64];
	long wd = 0;
	memset(p, 0, sizeof(*p));
	core_pmu_dir(dir, sizeof(dir));
	if (!dir[0]) {
		snprintf(p->name, sizeof(p->name), "none");
		snprintf(p->source, sizeof(p->source), "%s", no_pmu_reason());
		return;
	}
	snprintf(p->name, sizeof(p->name), "%s", dir);
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/caps/pmu_name", dir);
	nb_read_file(path, p->name, sizeof(p->name));
	if (!strncmp(dir, "armv8", 5)) {
		/* The count is only in the kernel log ("armv8_pmuv3 PMU driver, 7 counters
		 * available"); PMCR_EL0.N is not readable from user space. Neoverse N1/V1 and
		 * QEMU's max cpu have 6 + the cycle counter. */
		*p = *nb_pmu_named("neoverse-n1");
		snprintf(p->name, sizeof(p->name), "%s", dir);
		snprintf(p->source, sizeof(p->source),
			 "Arm PMUv3: 6 event counters and the cycle counter assumed (sysfs "
			 "publishes no count)");
	} else {
		cpuinfo_field("vendor_id", vendor, sizeof(vendor));
		detect_x86(p, vendor);
	}
	p->nmi_watchdog =
	    p->known && !nb_read_long("/proc/sys/kernel/nmi_watchdog", &wd) && wd == 1;
}
