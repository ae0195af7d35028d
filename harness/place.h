/* numabench: placement of threads and buffers, and its verification. */
#ifndef NB_PLACE_H
#define NB_PLACE_H

#include "nb.h"
#include "topo.h"

enum nb_policy { NB_BIND, NB_PREFERRED, NB_INTERLEAVE, NB_LOCAL };
enum nb_pages { NB_PAGES_4K, NB_PAGES_THP };

struct nb_buf {
	void *p;
	size_t len;    /* requested length rounded up to the base page size */
	size_t maplen; /* mapped length (a whole number of huge pages for THP) */
	enum nb_policy policy;
	int node; /* intended node (BIND/PREFERRED); -1 for INTERLEAVE/LOCAL */
	enum nb_pages pages;
};

/* Pin the calling thread to cpus (ids); -1 with errno. Verified with sched_getaffinity. */
int nb_pin_self(const int *cpus, int n);
int nb_pin_self_node(const struct nb_topo *t, int node);
/* mmap len bytes (THP: 2 MiB aligned, MADV_HUGEPAGE; 4k: MADV_NOHUGEPAGE) and apply policy
 * with mbind. Memory is not touched. Returns 0 or -1 with errno. */
int nb_buf_alloc(struct nb_buf *b, size_t len, enum nb_policy pol, int node, enum nb_pages pg);
void nb_buf_free(struct nb_buf *b);
/* First touch by a thread pinned to `cpus` (the first-toucher is explicit). */
int nb_buf_touch_from(struct nb_buf *b, const int *cpus, int n);

/* Placement of a range: pages per node, counted with move_pages(2) query mode
 * (sampled: at most max_samples pages, evenly spaced). nodes_out[node] += pages. */
struct nb_placement {
	uint64_t pages_total, pages_sampled;
	uint64_t per_node[NB_MAX_NODE_ID]; /* by node id */
	uint64_t not_present;		   /* -ENOENT etc. */
	uint64_t thp_pages;		   /* huge pages backing (from smaps, when known) */
	double on_intended;		   /* share of sampled pages on the intended node */
};
int nb_placement_query(const void *p, size_t len, int intended, struct nb_placement *out);
/* A bench whose samples come from several allocations: add [p, p+len)'s placement to *sum
 * (pages, sampled pages, pages per node); -1 with errno when it cannot be read. Then
 * nb_placement_end sets sum's on_intended over all of them. */
int nb_placement_add(const void *p, size_t len, int intended, struct nb_placement *sum);
void nb_placement_end(struct nb_placement *sum, int intended);
/* Placement of [p, p+len) of process pid from /proc/PID/numa_maps (never faults). */
int nb_placement_numa_maps(int pid, const void *p, size_t len, int intended,
			   struct nb_placement *out);
json_t *nb_placement_json(const struct nb_placement *pl, int intended, const char *method);
/* Node id -> pages, the one encoding every placement in the results uses: {"0": 16384, ...}
 * with string keys. nodes == NULL: every node that has pages; else exactly nodes[0..n), zeros
 * included (a timeline keeps the same keys from sample to sample). */
json_t *nb_pages_per_node_json(const uint64_t *per_node, const int *nodes, int n);
/* Run fn(arg) on a new thread pinned to cpus, and wait for it. -1 with errno if pinning failed. */
int nb_run_pinned(const int *cpus, int n, void (*fn)(void *), void *arg);
/* Bytes of [p, p+len) backed by transparent huge pages (AnonHugePages in smaps). */
uint64_t nb_thp_bytes(const void *p, size_t len);
/* The same for the range [p, p + len) of process pid (0: this process). */
uint64_t nb_thp_bytes_pid(int pid, const void *p, size_t len);
/* mbind(2) of [p, p+len) with mode to the single node (node < 0: no nodemask, as MPOL_DEFAULT
 * wants), no flags: nothing already there moves. 0 or -1 with errno. */
long nb_mbind_node(void *p, size_t len, int mode, int node);
/* Place a mapped range on node by first touch: bind it (MPOL_BIND), touch each base page, then,
 * when unbind, give it back MPOL_DEFAULT without moving a page. The unbinding matters to NUMA
 * balancing: a VMA with a policy of its own has no MPOL_F_MOF, and task_numa_work() skips it
 * (KERNEL-NOTES.md#KN-policy-mof); hard-bound baselines keep the policy. 0, or -1 with errno
 * and *step ("mbind(MPOL_BIND)" or "mbind(MPOL_DEFAULT)"; step may be NULL). */
int nb_first_touch_on(void *p, size_t len, int node, bool unbind, const char **step);
/*
 * Placement decisions: pure functions of the topology (a replay included), so the plan and the
 * run agree and the tests check them on synthetic topologies.
 */
/* The core (hwloc logical index of the Core object) of cpu, or -1 when hwloc has none. */
int nb_place_core_of(const struct nb_topo *t, int cpu);
/* The last-level cache domain of cpu: the logical index of the deepest-level (largest) data
 * or unified cache object above it, and its size in *bytes (may be NULL); -1 when none. */
int nb_place_llc_of(const struct nb_topo *t, int cpu, uint64_t *bytes);
/* Bytes of last-level cache over the cpus of node: the sum of the distinct LLC objects that
 * hold any of its cpus (0: a memory-only node, or a topology without caches). */
uint64_t nb_place_node_llc(const struct nb_topo *t, int node);
/* The one cpu a single-thread cell of a node uses (latency, fault, loaded's chaser): the
 * lowest-numbered of cpus[0..n), the same for every bench; -1 when n == 0. */
int nb_place_one_cpu(const int *cpus, int n);
/* cpus[0..n) ordered for thread subsets: one PU per core first (per_core false: then the
 * second PUs, and so on), round-robin over the LLC domains, so any prefix out[0..k) spreads
 * evenly over them. Returns the count (per_core: the number of cores). */
int nb_place_spread(const struct nb_topo *t, const int *cpus, int n, bool per_core, int *out);
/* cpus[0..n) less every cpu on the core of `cpu` (its SMT siblings and itself). */
int nb_place_other_cores(const struct nb_topo *t, const int *cpus, int n, int cpu, int *out);

/* Share below which a placement makes a run untrustworthy. */
#define NB_PLACE_MIN_SHARE 0.95

#endif
