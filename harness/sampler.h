/* numabench: samplers of kernel counters that do not disturb what they measure. */
#ifndef NB_SAMPLER_H
#define NB_SAMPLER_H

#include "nb.h"

/* The /proc/vmstat fields NUMA work reads (KERNEL-NOTES.md#KN-vmstat-numa); a field the kernel
 * lacks reads -1, and nb_vmstat_json leaves it out (pgdemote_khugepaged is absent from older
 * kernels). */
/* clang-format off */
#define NB_VMSTAT_FIELDS(X) \
	X(numa_pte_updates) \
	X(numa_huge_pte_updates) \
	X(numa_hint_faults) \
	X(numa_hint_faults_local) \
	X(numa_pages_migrated) \
	X(pgmigrate_success) \
	X(pgmigrate_fail) \
	X(pgpromote_success) \
	X(pgpromote_candidate) \
	X(pgdemote_kswapd) \
	X(pgdemote_direct) \
	X(pgdemote_khugepaged) \
	X(thp_migration_success) \
	X(thp_migration_fail) \
	X(thp_migration_split) \
	X(thp_split_pmd) \
	X(numa_hit) \
	X(numa_miss) \
	X(numa_foreign) \
	X(numa_interleave) \
	X(numa_local) \
	X(numa_other) \
	X(pgfault)
/* clang-format on */

#define NB_VMSTAT_ENUM(n) NB_VM_##n,
enum nb_vmstat_field { NB_VMSTAT_FIELDS(NB_VMSTAT_ENUM) NB_VM_COUNT };

struct nb_vmstat {
	int64_t v[NB_VM_COUNT]; /* -1 when the kernel lacks the field */
};

extern const char *const nb_vmstat_names[NB_VM_COUNT];
int nb_vmstat_read(struct nb_vmstat *s);
/* out = b - a (fields missing in either stay -1). */
void nb_vmstat_delta(const struct nb_vmstat *a, const struct nb_vmstat *b, struct nb_vmstat *out);
json_t *nb_vmstat_json(const struct nb_vmstat *s);

/* NUMA fields of /proc/PID/sched (or /proc/PID/task/TID/sched). */
struct nb_sched_numa {
	int64_t numa_scan_seq, numa_pages_migrated, numa_preferred_nid, total_numa_faults;
	int64_t mm_numa_scan_seq;
	int64_t numa_group_id;
	int cur_node; /* node of the cpu the task last ran on (from /proc/PID/stat) */
};
int nb_sched_numa_read(int pid, int tid, struct nb_sched_numa *s);
json_t *nb_sched_numa_json(const struct nb_sched_numa *s);

/* Minor/major faults of a task from /proc/PID/stat (any task we may read). */
int nb_task_faults(int pid, int64_t *minflt, int64_t *majflt);

#endif
