/* numabench counters: the named PMU descriptions, what an event needs of the PMU, and the pure
 * grouping of a counter list to fit the counters that are free. */
#include "pmu.h"

#include <string.h>

#define FIX_INTEL (NB_FIXED(NB_NEED_CYCLES) | NB_FIXED(NB_NEED_INSTR) | NB_FIXED(NB_NEED_REF))
#define FIX_ARM NB_FIXED(NB_NEED_CYCLES)

/*
 * General counters per logical cpu. Intel: CPUID.0AH:EAX[15:8] reports them per logical
 * processor; Skylake-SP/Cascade Lake have 8 per core, 4 per thread with HT on; Ice Lake and
 * Sapphire Rapids have 8 per thread; fixed counters 0-2 count instructions, cycles and
 * reference cycles (the topdown slots counter 3 is not used here). AMD Zen 2/3: 6 core
 * counters (CPUID 0x80000001 ECX PerfCtrExtCore), Zen 4: 6 (CPUID 0x80000022 EBX[3:0]), no
 * fixed counters. Arm Neoverse N1: 6 event counters and the cycle counter (PMCR_EL0.N = 6).
 */
const struct nb_pmu nb_pmu_table[] = {
    {"skx-smt", NB_PMU_INTEL, true, 4, FIX_INTEL, true, false,
     "Skylake-SP/Cascade Lake with HT: 8 general counters per core, 4 per thread"},
    {"skx", NB_PMU_INTEL, true, 8, FIX_INTEL, true, false,
     "Skylake-SP/Cascade Lake with HT off: 8 general counters"},
    {"icx", NB_PMU_INTEL, true, 8, FIX_INTEL, false, false,
     "Ice Lake-SP: 8 general counters per thread"},
    {"spr", NB_PMU_INTEL, true, 8, FIX_INTEL, false, false,
     "Sapphire Rapids: 8 general counters per thread"},
    {"zen2", NB_PMU_AMD, true, 6, 0, false, false, "Zen 2: 6 core counters (PerfCtrExtCore)"},
    {"zen3", NB_PMU_AMD, true, 6, 0, false, false, "Zen 3: 6 core counters (PerfCtrExtCore)"},
    {"zen4", NB_PMU_AMD, true, 6, 0, false, false,
     "Zen 4: 6 core counters (PerfMonV2, CPUID 0x80000022)"},
    {"neoverse-n1", NB_PMU_ARM, true, 6, FIX_ARM, false, false,
     "Neoverse N1: 6 event counters and the cycle counter"},
};
const size_t nb_pmu_ntable = sizeof(nb_pmu_table) / sizeof(nb_pmu_table[0]);

const struct nb_pmu *nb_pmu_named(const char *name)
{
	for (size_t i = 0; name && i < nb_pmu_ntable; i++)
		if (!strcmp(nb_pmu_table[i].name, name))
			return &nb_pmu_table[i];
	return NULL;
}

int nb_pmu_free_general(const struct nb_pmu *p)
{
	bool on_general = p->nmi_watchdog && !(p->fixed & NB_FIXED(NB_NEED_CYCLES));
	int n = p->general - (on_general ? 1 : 0);
	return n > 0 ? n : 0;
}

unsigned nb_pmu_free_fixed(const struct nb_pmu *p)
{
	return p->fixed & ~(p->nmi_watchdog ? NB_FIXED(NB_NEED_CYCLES) : 0u);
}

/* Intel raw encodings the fixed counters take: event|umask with no cmask, inv or edge
 * (arch/x86/events/intel/core.c FIXED_EVENT_CONSTRAINT, matched on the whole event code). */
static enum nb_need intel_raw(unsigned long long config)
{
	bool plain = !(config & (0xffull << 24 | 1ull << 23 | 1ull << 18));
	switch (plain ? config & 0xffff : 0) {
	case 0x003c:
		return NB_NEED_CYCLES;
	case 0x00c0:
		return NB_NEED_INSTR;
	case 0x0300:
		return NB_NEED_REF;
	default:
		return NB_NEED_GENERAL;
	}
}

enum nb_need nb_pmu_need(const struct nb_pmu *p, const struct perf_event_attr *a)
{
	/* The high 32 bits of a generic hardware config name a hybrid PMU. */
	unsigned long long hw = a->config & 0xffffffffull;
	switch (a->type) {
	case PERF_TYPE_SOFTWARE:
		return NB_NEED_SOFTWARE;
	case PERF_TYPE_TRACEPOINT:
		return NB_NEED_TRACEPOINT;
	case PERF_TYPE_HARDWARE:
		return hw == PERF_COUNT_HW_CPU_CYCLES	    ? NB_NEED_CYCLES
		       : hw == PERF_COUNT_HW_INSTRUCTIONS   ? NB_NEED_INSTR
		       : hw == PERF_COUNT_HW_REF_CPU_CYCLES ? NB_NEED_REF
							    : NB_NEED_GENERAL;
	case PERF_TYPE_HW_CACHE:
	case PERF_TYPE_BREAKPOINT:
		return NB_NEED_GENERAL;
	default: /* PERF_TYPE_RAW or the core PMU's dynamic type */
		if (p->arch == NB_PMU_INTEL)
			return intel_raw(a->config);
		/* AMD PMCx076 (cycles not in halt) and PMCx0C0 (retired instructions), plain:
		 * no fixed counter takes them, but they are the cycles and instructions. */
		if (p->arch == NB_PMU_AMD && !(a->config & ~0xffffull))
			return (a->config & 0xffff) == 0x76   ? NB_NEED_CYCLES
			       : (a->config & 0xffff) == 0xc0 ? NB_NEED_INSTR
							      : NB_NEED_GENERAL;
		/* Arm CPU_CYCLES (0x11) goes to the cycle counter (drivers/perf/arm_pmuv3.c). */
		if (p->arch == NB_PMU_ARM && (a->config & 0xffff) == 0x11)
			return NB_NEED_CYCLES;
		return NB_NEED_GENERAL;
	}
}

static bool is_hw(enum nb_need n)
{
	return n != NB_NEED_SOFTWARE && n != NB_NEED_TRACEPOINT;
}

/* General counters event `n` costs in a group whose fixed counters `used` are taken. */
static int cost(enum nb_need n, unsigned fixed, unsigned used)
{
	unsigned bit = n == NB_NEED_GENERAL ? 0 : NB_FIXED(n);
	return bit && (fixed & bit) && !(used & bit) ? 0 : 1;
}

static unsigned take(enum nb_need n, int c)
{
	return c || n == NB_NEED_GENERAL ? 0 : NB_FIXED(n);
}

/* General counters the hardware events need in one round. */
static int one_round(const struct nb_pmu *p, const enum nb_need *need, int n)
{
	unsigned fixed = nb_pmu_free_fixed(p), used = 0;
	int total = 0;
	for (int i = 0; i < n; i++) {
		if (!is_hw(need[i]))
			continue;
		int c = cost(need[i], fixed, used);
		used |= take(need[i], c);
		total += c;
	}
	return total;
}

struct nb_grouping nb_pmu_group(const struct nb_pmu *p, const enum nb_need *need, int n,
				bool rotate, int *group)
{
	struct nb_grouping g = {0};
	unsigned fixed = nb_pmu_free_fixed(p), used = 0;
	int sw = -1, cur = -1, busy = 0;
	g.free_gen = nb_pmu_free_general(p);
	g.hw_need = one_round(p, need, n);
	for (int i = 0; i < n; i++) {
		group[i] = NB_NOT_SCHEDULED;
		if (!is_hw(need[i])) {
			group[i] = sw < 0 ? (sw = g.ngroups++) : sw;
			continue;
		}
		if (!p->known) {
			group[i] = cur < 0 ? (cur = g.ngroups++) : cur;
			continue;
		}
		int c = cur < 0 ? 0 : cost(need[i], fixed, used);
		if (cur >= 0 && busy + c <= g.free_gen) {
			busy += c;
			used |= take(need[i], c);
			group[i] = cur;
			continue;
		}
		c = cost(need[i], fixed, 0);
		if ((cur >= 0 && !rotate) || c > g.free_gen) {
			g.dropped++;
			continue;
		}
		cur = g.ngroups++;
		busy = c;
		used = take(need[i], c);
		group[i] = cur;
	}
	return g;
}
