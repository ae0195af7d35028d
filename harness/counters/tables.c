/* numabench counters: the tables, what each default role resolves to per CPU model, the
 * software events and the NUMA tracepoints. Data only. */
#include "counters_int.h"

const char *const kind_names[] = {"hardware", "software", "tracepoint"};

/* Default hardware roles for NUMA work (enum role in counters_int.h). */
const char *const role_names[R_N] = {"cycles",	   "instructions", "llc-misses",
				     "dram-local", "dram-remote",  "dtlb-misses"};

/*
 * Per CPU model (keyed by the libpfm4 core PMU, which is libpfm4's vendor/family/model
 * detection): what each role resolves to. NULL falls back to the generic perf event below.
 * DRAM roles count demand loads served by local/remote DRAM on both vendors (Intel retired
 * loads by data source; AMD demand data-cache fills by source).
 */
const struct model models[] = {
    {"hsw_ep bdw_ep",
     {NULL, NULL, "LONGEST_LAT_CACHE:MISS", "MEM_LOAD_UOPS_L3_MISS_RETIRED:LOCAL_DRAM",
      "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM", "DTLB_LOAD_MISSES:WALK_COMPLETED"}},
    {"skx clx icx spr",
     {NULL, NULL, "LONGEST_LAT_CACHE:MISS", "MEM_LOAD_L3_MISS_RETIRED:LOCAL_DRAM",
      "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM", "DTLB_LOAD_MISSES:WALK_COMPLETED"}},
    {"amd64_fam17h_zen1",
     {NULL, NULL, NULL, NULL, NULL,
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    {"amd64_fam17h_zen2",
     {NULL, NULL, NULL, "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_LCL_DRAM",
      "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_DRAM",
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    {"amd64_fam19h_zen3",
     {NULL, NULL, NULL, "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_LCL",
      "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_RMT",
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    {"amd64_fam19h_zen4",
     {NULL, NULL, NULL, "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_NEAR",
      "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_FAR",
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    /* Arm Neoverse N1 (Ampere Altra, Graviton2), V1 (Graviton3), N2, V2 (Grace, Graviton4):
     * the last-level cache's read misses, REMOTE_ACCESS (0x31: accesses served by another
     * socket's memory or cache; no core event counts local DRAM), data TLB walks; cycles and
     * instructions by their Arm names (the generic ones need libpfm4's perf PMU, which is not
     * active when a core PMU is). Each name checked to encode in libpfm4 4.13 with
     * LIBPFM_FORCE_PMU in an arm64 guest. */
    {"arm_n1 arm_v1 arm_n2 arm_v2",
     {"CPU_CYCLES", "INST_RETIRED", "LL_CACHE_MISS_RD", NULL, "REMOTE_ACCESS", "DTLB_WALK"}},
};
const size_t N_MODELS = sizeof(models) / sizeof(models[0]);
const char *const generic_ev[R_N] = {"cycles", "instructions", "LLC-load-misses",
				     NULL,     NULL,	       "dTLB-load-misses"};

/* Cycles and instructions by the core PMU's own names, tried after the generic ones: those
 * need libpfm4's perf PMU, which LIBPFM_FORCE_PMU (replaying another CPU's encodings)
 * leaves inactive. Intel's architectural events 0x3c and 0xc0 (the fixed counters' events);
 * AMD's PMCx076 and PMCx0C0. Each name checked to encode with LIBPFM_FORCE_PMU=skx, icx,
 * spr, icl and amd64_fam17h_zen2, fam19h_zen3, fam19h_zen4 in libpfm4 4.13. */
const char *const intel_core_ev[2] = {"UNHALTED_CORE_CYCLES", "INSTRUCTION_RETIRED"};
const char *const amd_core_ev[2] = {"CYCLES_NOT_IN_HALT", "RETIRED_INSTRUCTIONS"};

/* Software events: always in the default set; encoded here when libpfm4's perf PMU is not
 * active (LIBPFM_FORCE_PMU), from include/uapi/linux/perf_event.h. */
const struct sw_event sw_events[] = {
    {"page-faults", PERF_COUNT_SW_PAGE_FAULTS},
    {"minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
    {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
};
const size_t N_SW = sizeof(sw_events) / sizeof(sw_events[0]);

/* NUMA tracepoints (KERNEL-NOTES.md#KN-numa-tracepoints). Known names stay listed, unavailable, on
 * kernels or hosts that lack them, so a suite's --events works on every kernel it meets. */
const struct numa_tp numa_tps[] = {
    {"migrate:mm_migrate_pages", NULL}, {"migrate:mm_migrate_pages_start", NULL},
    {"sched:sched_move_numa", NULL},	{"sched:sched_stick_numa", NULL},
    {"sched:sched_swap_numa", NULL},	{"sched:sched_skip_vma_numa", "6.7"},
};
const size_t N_TP = sizeof(numa_tps) / sizeof(numa_tps[0]);
