/* numabench: the memory cgroup's headroom for this process (v1 and v2). */
#ifndef NB_MEMCG_H
#define NB_MEMCG_H

#include <limits.h>
#include <stdint.h>

/* What numabench needs for itself beside a bench's buffers (binary, results, samples). */
#define NB_MEM_SLACK (32ull << 20)

struct nb_memcg {
	uint64_t headroom; /* UINT64_MAX: no memory limit on the way up */
	uint64_t limit;	   /* of the cgroup that gives the smallest headroom */
	uint64_t usage;	   /* its working set: usage minus inactive file cache */
	char cgroup[PATH_MAX];
};

/* Smallest (limit - working set) over this process's memory cgroup and its ancestors. */
uint64_t nb_memcg_headroom(struct nb_memcg *m);

#endif
