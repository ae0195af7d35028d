/* numabench: placement of threads and buffers (libnuma), and verification of it. */
#include "place.h"

#include "kernels.h"
#include "memcg.h"

#include <errno.h>
#include <hwloc.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define THP_SIZE (2u << 20)

int nb_pin_self(const int *cpus, int n)
{
	/* Sets as large as the highest cpu (cpu_set_t holds 1024 cpus only), at least as large
	 * as the kernel's own mask (sched_getaffinity fails with EINVAL on a smaller one). */
	int max = -1;
	for (int i = 0; i < n; i++) {
		if (cpus[i] < 0) {
			errno = EINVAL;
			return -1;
		}
		max = cpus[i] > max ? cpus[i] : max;
	}
	int ncpu = max + 1 > CPU_SETSIZE ? max + 1 : CPU_SETSIZE;
	for (;; ncpu *= 2) {
		cpu_set_t *set = CPU_ALLOC(ncpu), *got = CPU_ALLOC(ncpu);
		size_t size = CPU_ALLOC_SIZE(ncpu);
		if (!set || !got) {
			CPU_FREE(set);
			CPU_FREE(got);
			errno = ENOMEM;
			return -1;
		}
		CPU_ZERO_S(size, set);
		CPU_ZERO_S(size, got);
		for (int i = 0; i < n; i++)
			CPU_SET_S(cpus[i], size, set);
		int rc = sched_setaffinity(0, size, set), e = errno;
		/* Never trust a pin: read it back (perf bench once faked success here). */
		if (rc == 0 && sched_getaffinity(0, size, got)) {
			e = errno;
			rc = e == EINVAL && ncpu < (1 << 22) ? 1 : -1; /* the kernel's is larger */
		} else if (rc == 0 && !CPU_EQUAL_S(size, set, got)) {
			rc = -1;
			e = EINVAL;
		}
		CPU_FREE(set);
		CPU_FREE(got);
		if (rc <= 0) {
			errno = e;
			return rc;
		}
	}
}

int nb_pin_self_node(const struct nb_topo *t, int node)
{
	const struct nb_node *n = nb_topo_node(t, node);
	if (!n || n->ncpus == 0) {
		errno = EINVAL;
		return -1;
	}
	return nb_pin_self(n->cpus, n->ncpus);
}

static int apply_policy(struct nb_buf *b)
{
	unsigned long mask[NB_MAX_NODE_ID / (8 * sizeof(unsigned long)) + 1];
	memset(mask, 0, sizeof(mask));
	int mode;
	switch (b->policy) {
	case NB_BIND:
		mode = MPOL_BIND;
		break;
	case NB_PREFERRED:
		mode = MPOL_PREFERRED;
		break;
	case NB_INTERLEAVE: {
		mode = MPOL_INTERLEAVE;
		struct bitmask *m = numa_get_mems_allowed();
		for (unsigned i = 0; i < m->size && i < NB_MAX_NODE_ID; i++)
			if (numa_bitmask_isbitset(m, i))
				mask[i / (8 * sizeof(long))] |= 1ul << (i % (8 * sizeof(long)));
		numa_bitmask_free(m);
		break;
	}
	default:
		return 0; /* local: the first toucher's node */
	}
	if (b->policy != NB_INTERLEAVE) {
		if (b->node < 0 || b->node >= NB_MAX_NODE_ID) {
			errno = EINVAL;
			return -1;
		}
		mask[b->node / (8 * sizeof(long))] |= 1ul << (b->node % (8 * sizeof(long)));
	}
	return (int)mbind(b->p, b->maplen, mode, mask, NB_MAX_NODE_ID + 1, MPOL_MF_STRICT);
}

int nb_buf_alloc(struct nb_buf *b, size_t len, enum nb_policy pol, int node, enum nb_pages pg)
{
	memset(b, 0, sizeof(*b));
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	size_t align = pg == NB_PAGES_THP ? THP_SIZE : psz;
	size_t want = (len + align - 1) / align * align;
	len = (len + psz - 1) / psz * psz;
	/* Over-map to align THP buffers on a 2 MiB boundary, then trim. A THP buffer smaller
	 * than 2 MiB still gets a whole huge page so the kernel can back it with one. */
	size_t maplen = want + (pg == NB_PAGES_THP ? THP_SIZE : 0);
	/* The cgroup may have filled since the run was validated: refuse with ENOMEM rather
	 * than fault the buffer in and be OOM-killed. */
	struct nb_memcg m;
	if (nb_memcg_headroom(&m) != UINT64_MAX && want + NB_MEM_SLACK / 2 > m.headroom) {
		errno = ENOMEM;
		return -1;
	}
	char *p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	char *a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if ((size_t)(a - p) + want < maplen)
		munmap(a + want, maplen - (size_t)(a - p) - want);
	b->p = a;
	b->len = len;
	b->maplen = want;
	b->policy = pol;
	b->node = node;
	b->pages = pg;
	/* A kernel without THP (CONFIG_TRANSPARENT_HUGEPAGE unset, e.g. Debian's -rt) refuses
	 * both advices with EINVAL: its pages are 4 KiB anyway, so only a THP buffer fails. */
	int adv = madvise(a, want, pg == NB_PAGES_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (adv && errno == EINVAL && pg != NB_PAGES_THP &&
	    access("/sys/kernel/mm/transparent_hugepage", F_OK))
		adv = 0;
	if (adv || apply_policy(b)) {
		int e = errno;
		munmap(a, want);
		b->p = NULL;
		errno = e;
		return -1;
	}
	return 0;
}

void nb_buf_free(struct nb_buf *b)
{
	if (b->p)
		munmap(b->p, b->maplen);
	b->p = NULL;
}

struct touch_arg {
	struct nb_buf *b;
};

static void touch_all(void *v)
{
	struct nb_buf *b = ((struct touch_arg *)v)->b;
	long psz = sysconf(_SC_PAGESIZE);
	volatile char *p = b->p;
	for (size_t off = 0; off < b->len; off += (size_t)psz)
		p[off] = 1;
}

int nb_buf_touch_from(struct nb_buf *b, const int *cpus, int n)
{
	struct touch_arg a = {b};
	return nb_run_pinned(cpus, n, touch_all, &a);
}

static void finish(struct nb_placement *o, int intended)
{
	uint64_t on = intended >= 0 && intended < NB_MAX_NODE_ID ? o->per_node[intended] : 0;
	o->on_intended = o->pages_sampled ? (double)on / (double)o->pages_sampled : 0;
}

int nb_placement_add(const void *p, size_t len, int intended, struct nb_placement *sum)
{
	struct nb_placement pl;
	if (nb_placement_query(p, len, intended, &pl))
		return -1;
	sum->pages_total += pl.pages_total;
	sum->pages_sampled += pl.pages_sampled;
	sum->not_present += pl.not_present;
	for (int n = 0; n < NB_MAX_NODE_ID; n++)
		sum->per_node[n] += pl.per_node[n];
	return 0;
}

void nb_placement_end(struct nb_placement *sum, int intended)
{
	sum->on_intended =
	    sum->pages_sampled ? (double)sum->per_node[intended] / sum->pages_sampled : 0;
}

int nb_placement_query(const void *p, size_t len, int intended, struct nb_placement *o)
{
	enum { MAXS = 4096 };
	long psz = sysconf(_SC_PAGESIZE);
	memset(o, 0, sizeof(*o));
	o->pages_total = len / (size_t)psz;
	uint64_t step = o->pages_total > MAXS ? o->pages_total / MAXS : 1;
	void *pages[MAXS];
	int status[MAXS];
	unsigned n = 0;
	for (uint64_t i = 0; i < o->pages_total && n < MAXS; i += step)
		pages[n++] = (char *)p + i * (uint64_t)psz;
	if (numa_move_pages(0, n, pages, NULL, status, 0))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (status[i] >= 0 && status[i] < NB_MAX_NODE_ID) {
			o->per_node[status[i]]++;
			o->pages_sampled++;
		} else {
			o->not_present++;
		}
	}
	finish(o, intended);
	return 0;
}

/* Parse one numa_maps line: "ADDR policy ... N0=12 N1=3 kernelpagesize_kB=4". */
static void numa_maps_line(const char *line, struct nb_placement *o)
{
	long kb = 4;
	const char *k = strstr(line, "kernelpagesize_kB=");
	if (k)
		kb = strtol(k + 18, NULL, 10);
	long mult = kb / (sysconf(_SC_PAGESIZE) / 1024);
	for (const char *s = strstr(line, " N"); s; s = strstr(s + 1, " N")) {
		char *end;
		long node = strtol(s + 2, &end, 10);
		if (*end != '=' || node < 0 || node >= NB_MAX_NODE_ID)
			continue;
		long pages = strtol(end + 1, NULL, 10);
		o->per_node[node] += (uint64_t)(pages * mult);
		o->pages_sampled += (uint64_t)(pages * mult);
		if (kb >= 2048)
			o->thp_pages += (uint64_t)pages;
	}
}

int nb_placement_numa_maps(int pid, const void *p, size_t len, int intended, struct nb_placement *o)
{
	char path[64], line[4096];
	memset(o, 0, sizeof(*o));
	o->pages_total = len / (size_t)sysconf(_SC_PAGESIZE);
	char path2[512];
	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid ? pid : (int)getpid());
	snprintf(path2, sizeof(path2), "%s%s", nb_fsroot(), path);
	FILE *f = fopen(path2, "re");
	if (!f)
		return -1;
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t start = (uintptr_t)strtoull(line, NULL, 16);
		/* numa_maps gives VMA starts only; a buffer is its own VMA (or several, after
		 * mbind splits), so count VMAs that start inside it. */
		if (start >= lo && start < hi)
			numa_maps_line(line, o);
	}
	fclose(f);
	o->not_present = o->pages_total > o->pages_sampled ? o->pages_total - o->pages_sampled : 0;
	finish(o, intended);
	return 0;
}

json_t *nb_pages_per_node_json(const uint64_t *per_node, const int *nodes, int n)
{
	json_t *o = json_object();
	for (int i = 0; i < (nodes ? n : NB_MAX_NODE_ID); i++) {
		int id = nodes ? nodes[i] : i;
		char k[16];
		if (id < 0 || id >= NB_MAX_NODE_ID || (!nodes && !per_node[id]))
			continue;
		snprintf(k, sizeof(k), "%d", id);
		json_object_set_new(o, k, json_integer((json_int_t)per_node[id]));
	}
	return o;
}

json_t *nb_placement_json(const struct nb_placement *pl, int intended, const char *method)
{
	json_t *per = nb_pages_per_node_json(pl->per_node, NULL, 0);
	return json_pack("{s:i,s:o,s:I,s:I,s:I,s:f,s:s,s:b}", "intended_node", intended,
			 "pages_per_node", per, "pages_total", (json_int_t)pl->pages_total,
			 "pages_counted", (json_int_t)pl->pages_sampled, "not_present",
			 (json_int_t)pl->not_present, "on_intended", pl->on_intended, "method",
			 method, "verified", pl->on_intended >= NB_PLACE_MIN_SHARE);
}

struct pinned_arg {
	const int *cpus;
	int n;
	void (*fn)(void *);
	void *arg;
	int err;
};

static void *pinned_thread(void *v)
{
	struct pinned_arg *a = v;
	if (nb_pin_self(a->cpus, a->n)) {
		a->err = errno ? errno : EINVAL;
		return NULL;
	}
	a->fn(a->arg);
	return NULL;
}

int nb_run_pinned(const int *cpus, int n, void (*fn)(void *), void *arg)
{
	pthread_t th;
	struct pinned_arg a = {cpus, n, fn, arg, 0};
	int e = pthread_create(&th, NULL, pinned_thread, &a);
	if (e) {
		errno = e;
		return -1;
	}
	pthread_join(th, NULL);
	if (a.err) {
		errno = a.err;
		return -1;
	}
	return 0;
}

uint64_t nb_thp_bytes(const void *p, size_t len)
{
	return nb_thp_bytes_pid(0, p, len);
}

uint64_t nb_thp_bytes_pid(int pid, const void *p, size_t len)
{
	char line[512], path[64];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	FILE *f = fopen(path, "re");
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	uint64_t total = 0;
	bool in = false;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			in = a < hi && b > lo;
			continue;
		}
		unsigned long kb;
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			total += (uint64_t)kb * 1024;
	}
	if (f)
		fclose(f);
	return total < len ? total : len; /* a small buffer sits in one whole huge page */
}

long nb_mbind_node(void *p, size_t len, int mode, int node)
{
	unsigned long mask[NB_MAX_NODE_ID / (8 * sizeof(unsigned long)) + 1] = {0};
	if (node < 0)
		return mbind(p, len, mode, NULL, 0, 0);
	if (node >= NB_MAX_NODE_ID) {
		errno = EINVAL;
		return -1;
	}
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
	return mbind(p, len, mode, mask, NB_MAX_NODE_ID + 1, 0);
}

int nb_first_touch_on(void *p, size_t len, int node, bool unbind, const char **step)
{
	const char *dummy;
	if (!step)
		step = &dummy;
	*step = "mbind(MPOL_BIND)";
	if (nb_mbind_node(p, len, MPOL_BIND, node))
		return -1;
	nb_touch_pages(p, len, (size_t)sysconf(_SC_PAGESIZE));
	*step = "mbind(MPOL_DEFAULT)";
	if (unbind && nb_mbind_node(p, len, MPOL_DEFAULT, -1))
		return -1;
	*step = NULL;
	return 0;
}

/* ---- placement decisions (pure functions of the topology) ---- */

static hwloc_obj_t pu_obj(const struct nb_topo *t, int cpu)
{
	if (t->pu_obj)
		return cpu >= 0 && cpu < t->cpu_slots ? (hwloc_obj_t)t->pu_obj[cpu] : NULL;
	return t->hwloc ? hwloc_get_pu_obj_by_os_index((hwloc_topology_t)t->hwloc, (unsigned)cpu)
			: NULL;
}

int nb_place_core_of(const struct nb_topo *t, int cpu)
{
	for (hwloc_obj_t o = pu_obj(t, cpu); o; o = o->parent)
		if (o->type == HWLOC_OBJ_CORE)
			return (int)o->logical_index;
	return -1;
}

static hwloc_obj_t llc_obj(const struct nb_topo *t, int cpu)
{
	hwloc_obj_t best = NULL;
	for (hwloc_obj_t o = pu_obj(t, cpu); o; o = o->parent)
		if (hwloc_obj_type_is_dcache(o->type) &&
		    (!best || o->attr->cache.depth > best->attr->cache.depth))
			best = o;
	return best;
}

int nb_place_llc_of(const struct nb_topo *t, int cpu, uint64_t *bytes)
{
	hwloc_obj_t o = llc_obj(t, cpu);
	if (bytes)
		*bytes = o ? o->attr->cache.size : 0;
	return o ? (int)(o->logical_index + 1000u * o->attr->cache.depth) : -1;
}

uint64_t nb_place_node_llc(const struct nb_topo *t, int node)
{
	const struct nb_node *nd = nb_topo_node(t, node);
	int *seen = nb_xcalloc(nd ? (size_t)nd->ncpus : 1, sizeof(int)), ns = 0;
	uint64_t sum = 0;
	for (int i = 0; nd && i < nd->ncpus; i++) {
		uint64_t b;
		int id = nb_place_llc_of(t, nd->cpus[i], &b), dup = 0;
		for (int k = 0; k < ns && !dup; k++)
			dup = seen[k] == id;
		if (id < 0 || dup)
			continue;
		seen[ns++] = id;
		sum += b;
	}
	free(seen);
	return sum;
}

int nb_place_one_cpu(const int *cpus, int n)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (best < 0 || cpus[i] < best)
			best = cpus[i];
	return best;
}

int nb_place_spread(const struct nb_topo *t, const int *cpus, int n, bool per_core, int *out)
{
	/* rank[i]: how many cpus of the same core come before cpus[i] (0: the core's first). */
	size_t len = n > 0 ? (size_t)n : 1;
	int *rank = nb_xcalloc(len, sizeof(int)), *core = nb_xcalloc(len, sizeof(int));
	int *llc = nb_xcalloc(len, sizeof(int)), *sorted = nb_xcalloc(len, sizeof(int));
	int *done_llc = nb_xcalloc(len, sizeof(int)), maxrank = 0, k = 0;
	bool *used = nb_xcalloc(len, sizeof(bool));
	for (int i = 0; i < n; i++)
		sorted[i] = cpus[i];
	for (int i = 1; i < n; i++) /* ascending ids: a stable order for equal ranks */
		for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			int x = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = x;
		}
	for (int i = 0; i < n; i++) {
		core[i] = nb_place_core_of(t, sorted[i]);
		llc[i] = nb_place_llc_of(t, sorted[i], NULL);
		rank[i] = 0;
		used[i] = false;
		for (int j = 0; j < i; j++)
			rank[i] += core[i] >= 0 && core[j] == core[i];
		maxrank = rank[i] > maxrank ? rank[i] : maxrank;
	}
	for (int r = 0; r <= (per_core ? 0 : maxrank); r++) {
		/* Round-robin over the LLC domains: each pass takes the next unused cpu of rank r
		 * from every domain in the order the domains first appear. */
		for (bool took = true; took;) {
			took = false;
			int nd = 0;
			for (int i = 0; i < n; i++) {
				if (used[i] || rank[i] != r)
					continue;
				bool dup = false;
				for (int d = 0; d < nd && !dup; d++)
					dup = done_llc[d] == llc[i];
				if (dup)
					continue;
				done_llc[nd++] = llc[i];
				used[i] = true;
				out[k++] = sorted[i];
				took = true;
			}
		}
	}
	free(rank);
	free(core);
	free(llc);
	free(sorted);
	free(done_llc);
	free(used);
	return k;
}

int nb_place_other_cores(const struct nb_topo *t, const int *cpus, int n, int cpu, int *out)
{
	int c = nb_place_core_of(t, cpu), k = 0;
	for (int i = 0; i < n; i++)
		if (cpus[i] != cpu && (c < 0 || nb_place_core_of(t, cpus[i]) != c))
			out[k++] = cpus[i];
	return k;
}
