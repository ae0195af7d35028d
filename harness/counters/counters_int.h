/*
 * numabench counters, its parts (harness/counters/) and what they share; the public API is
 * counters.h. Event names are encoded by libpfm4 (pfm.c), NUMA tracepoints by their tracefs
 * ids (tracefs.c); the set is built from a list (set.c), opened with perf_event_open in groups
 * and read with PERF_FORMAT_GROUP|ID|TOTAL_TIME_ENABLED|RUNNING in groups that fit the PMU
 * (perf.c, pmu.c, pmu_detect.c), reported (values.c), read over a cell through a view (view.c)
 * and listed by `numabench events` (listing.c). Dependencies run one way: counter.c <- perf.c
 * <- set.c <- view.c, listing.c; values.c reads state only. Counts are never scaled: a counter that
 * ran less than it was enabled is flagged.
 */
#ifndef NB_COUNTERS_INT_H
#define NB_COUNTERS_INT_H

#include "counters.h"
#include "pmu.h"

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>

enum kind { K_HW, K_SW, K_TP };
extern const char *const kind_names[]; /* by enum kind: "hardware", ... */

struct counter {
	char event[128];    /* as asked, or what a default role resolved to */
	char role[24];	    /* default role it was resolved from, "" if none */
	char encoding[256]; /* libpfm4 string or tracepoint id; "" when not encodable */
	char pmu[48];	    /* libpfm4 PMU that encoded it */
	char tracefs[96];   /* tracepoints: where the id came from */
	enum kind kind;
	struct perf_event_attr attr;
	bool encoded;
	int err; /* errno of the failure that made it unavailable, 0 if none */
	char reason[160];
	int fd, leader; /* leader: index of the group leader, -1 when not open */
	uint64_t id;
	uint64_t cur_val, cur_ena, cur_run; /* last raw read */
	uint64_t base_val, base_ena, base_run;
	bool read_ok;
	int src; /* in a view: index of this counter in the run's set, -1 if it has none */
};

struct nb_counters {
	struct counter *v;
	int n, cap;
	uint64_t *buf; /* group read buffer */
	size_t buflen;
	bool rotate;		    /* a user list: more hardware events than counters rotate */
	struct nb_pmu pmu;	    /* detected at the first open */
	bool pmu_set;		    /* pmu holds a description (detected or given) */
	struct nb_counters *parent; /* a view: the run's set it reads */
};

/* ---- tables.c ---- */

/* Default hardware roles for NUMA work. */
enum { R_CYCLES, R_INSTR, R_LLC, R_DRAM_LOCAL, R_DRAM_REMOTE, R_DTLB, R_N };
extern const char *const role_names[R_N];
struct model {
	const char *pmus; /* space-separated libpfm4 PMU names */
	const char *ev[R_N];
};
extern const struct model models[];
extern const size_t N_MODELS;
extern const char *const generic_ev[R_N];
extern const char *const intel_core_ev[2], *const amd_core_ev[2];
struct sw_event {
	const char *name;
	unsigned config;
};
extern const struct sw_event sw_events[];
extern const size_t N_SW;
struct numa_tp {
	const char *name;
	const char *since; /* kernel version that added it, NULL when older than any we meet */
};
extern const struct numa_tp numa_tps[];
extern const size_t N_TP;

/* ---- env.c ---- */

int paranoid(void);	   /* perf_event_paranoid, 2 when unreadable */
bool perf_capable(void);   /* CAP_PERFMON or CAP_SYS_ADMIN effective */
bool kernel_allowed(void); /* kernel-mode counting allowed */
bool hw_pmu_present(void); /* a core PMU registered with perf */
void cpuinfo_field(const char *key, char *out, size_t len);
const char *no_pmu_reason(void);

/* ---- tracefs.c ---- */

struct tracefs {
	char dir[256]; /* directory holding events/, fsroot included */
	char shown[96];
	char tmp[64]; /* our private mount point, "" if we mounted nothing */
	bool ok;
	int err;
	char reason[128];
};
void tracefs_open(struct tracefs *t);
void tracefs_close(struct tracefs *t);
/* id of tracepoint "sys:name", or -1 (errno ENOENT when the kernel has no such event). */
long tracefs_id(const struct tracefs *t, const char *tp);
/* "system:name" with lowercase identifiers: the tracepoint syntax. */
bool tp_syntax(const char *s);
/* Index in numa_tps, or -1. */
int known_tp(const char *name);

/* ---- pfm.c ---- */

extern int pfm_state; /* -1 not tried, else the pfm_initialize result */
bool pfm_ready(void);
/* Encode with libpfm4 into k; returns a PFM_* code. */
int pfm_encode(struct counter *k, const char *name);
bool sw_encode(struct counter *k, const char *name);
bool pfm_find_inactive(const char *name, char *pmu, size_t pmulen, char *desc, size_t desclen);
const char *pfm_core_pmu(void);
const struct model *model_for(const char *pmu);

/* ---- counter.c ---- */

void counter_unavailable(struct counter *k, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- set.c ---- */

struct parse {
	struct nb_counters *c;
	struct tracefs tfs;
	bool tfs_open;
	char *err;
	size_t errlen;
};
/* One event by name (not a role or "default"). 0, or -1 with p->err. */
int add_named(struct parse *p, const char *name);

/* ---- perf.c ---- */

/* Close every counter; encoded ones forget why they were unavailable. A view closes nothing. */
void counters_close(struct nb_counters *c);
/* Group read of every leader into cur_*; 0, or -1 if a read failed. */
int read_all(struct nb_counters *c);
/* The run's set (not a view): reset, take the base read and enable; disable and read. */
void perf_start(struct nb_counters *c);
void perf_stop(struct nb_counters *c);

/* ---- plan.c ---- */

json_t *pmu_json(const struct nb_pmu *p); /* {name, known, general_counters, ...} */
#define NB_LEFT_OUT (-2)		  /* not encoded, or not usable: not grouped */
/* Group c's encoded counters that usable[] (NULL: all) allows on pmu (nb_pmu_group): per
 * counter, need[i] and group[i] (a group, NB_NOT_SCHEDULED or NB_LEFT_OUT). */
struct nb_grouping group_set(const struct nb_counters *c, const struct nb_pmu *pmu,
			     const bool *usable, int *group, enum nb_need *need);

/* ---- view.c: views, and nb_counters_start/stop/read for both kinds of set ---- */

#endif
