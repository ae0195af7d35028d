/*
 * numabench counters: the core PMU a host has (its general counters per logical cpu, its fixed
 * counters and the events they serve, the counter the NMI watchdog holds) and the pure rule
 * that groups a counter list to fit it. Detection (pmu_detect.c) reads CPUID and perf's sysfs;
 * the grouping (pmu.c) is a function of the description and the list alone, so the unit tests
 * run it on the named descriptions of real CPUs.
 */
#ifndef NB_COUNTERS_PMU_H
#define NB_COUNTERS_PMU_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>

/* What one counter needs of the PMU. */
enum nb_need {
	NB_NEED_GENERAL, /* a general-purpose counter */
	NB_NEED_CYCLES,	 /* core cycles: a fixed counter where the PMU has one, else general */
	NB_NEED_INSTR,	 /* instructions retired: likewise */
	NB_NEED_REF,	 /* reference cycles: likewise */
	NB_NEED_SOFTWARE,
	NB_NEED_TRACEPOINT,
};
#define NB_FIXED(need) (1u << (need)) /* bit of a fixed counter serving that need */

enum nb_pmu_arch { NB_PMU_UNKNOWN, NB_PMU_INTEL, NB_PMU_AMD, NB_PMU_ARM };

struct nb_pmu {
	char name[32];
	enum nb_pmu_arch arch;
	bool known;	   /* false: no core PMU, or one we cannot size: the kernel decides */
	int general;	   /* general counters per logical cpu (with SMT on: what one thread has) */
	unsigned fixed;	   /* NB_FIXED(need) bits of the fixed counters */
	bool smt_shared;   /* SMT siblings split the core's general counters (Intel before ICL) */
	bool nmi_watchdog; /* the perf hardlockup detector holds a cycles counter on every cpu */
	char source[128];  /* where the figures came from */
};

/*
 * The NMI watchdog (kernel/watchdog_perf.c, kernel/watchdog_hld.c before 6.6) opens one pinned
 * PERF_COUNT_HW_CPU_CYCLES event per cpu ("Permanently consumes one hw-PMU counter"). The
 * event scheduler puts cycles on the fixed cycles counter where there is one (Intel fixed
 * counter 1, Arm's cycle counter) and on a general counter otherwise (AMD).
 */
int nb_pmu_free_general(const struct nb_pmu *p);
unsigned nb_pmu_free_fixed(const struct nb_pmu *p);

/* What an encoded event needs: generic cycles/instructions/ref-cycles, and the raw encodings
 * the fixed counters accept (Intel 0x3c, 0xc0, 0x0300 without cmask/inv/edge; Arm 0x11). */
enum nb_need nb_pmu_need(const struct nb_pmu *p, const struct perf_event_attr *a);

/* The named descriptions of real CPUs ("skx-smt", "icx", "spr", "zen2", ... "neoverse-n1"),
 * watchdog off; NULL for an unknown name. */
const struct nb_pmu *nb_pmu_named(const char *name);
extern const struct nb_pmu nb_pmu_table[];
extern const size_t nb_pmu_ntable;

/* This host's core PMU: CPUID leaf 0xA (Intel) or 0x80000022 / 0x80000001 (AMD) on a live
 * x86 host, perf's sysfs (which core PMU is registered, caps/pmu_name), the named table for
 * Arm (the kernel publishes no counter count there), /proc/sys/kernel/nmi_watchdog. */
void nb_pmu_detect(struct nb_pmu *p);

struct nb_grouping {
	int ngroups;  /* groups in use, numbered from 0 */
	int hw_need;  /* general counters the hardware events would need in one round */
	int free_gen; /* general counters free (nb_pmu_free_general) */
	int dropped;  /* hardware events not scheduled */
};
#define NB_NOT_SCHEDULED (-1)

/*
 * Group n events (need[i]) to fit p: group[i] is event i's group, or NB_NOT_SCHEDULED.
 * Hardware events, in list order (the list is the priority), fill one group of at most the
 * free general counters; an event with a free fixed counter of its kind takes that one (one
 * event per fixed counter). That group is one round: it is counted without multiplexing.
 * What does not fit is not scheduled, unless rotate is true (the user asked for more events
 * than counters): then it goes to further groups of the same size, which the kernel rotates
 * and which are reported multiplexed. Software events and tracepoints share one group of their
 * own, never a hardware group. An unknown PMU (p->known false) puts every hardware event in
 * one group and leaves the verdict to the kernel. Returns the grouping's summary.
 */
struct nb_grouping nb_pmu_group(const struct nb_pmu *p, const enum nb_need *need, int n,
				bool rotate, int *group);

#endif
