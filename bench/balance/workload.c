/* numabench bench `balance`: the workload process. Owns its buffer (one VMA per thread's
 * slice between guard pages, bound to node B for the first touch, then unbound), its threads
 * (pinned to node A, or free after the start) and their streaming loops, and the counter of
 * bytes streamed the parent reads as throughput. */
#include "balance/balance.h"
#include "kernels.h"

#include <errno.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (256u << 10) /* bytes a thread streams between two counter updates */

struct wl_worker {
	const struct wl_cfg *c;
	char *lo;
	size_t len;
	int idx;
	pthread_barrier_t *ready, *go;
	pthread_t th;
};

static int wl_fail(const struct wl_cfg *c, const char *what)
{
	snprintf(c->ctl->proc[c->proc].msg, sizeof(c->ctl->proc[0].msg), "%s: %s", what,
		 strerror(errno));
	atomic_store(&c->ctl->proc[c->proc].state, P_ERROR);
	return 1;
}

/* Thread i's share of the buffer: equal slices of whole (huge) pages, the last takes the rest. */
static size_t wl_slice_len(const struct wl_cfg *c, int i)
{
	size_t align = c->thp ? THP_BYTES : (size_t)sysconf(_SC_PAGESIZE);
	size_t len = c->size / (size_t)c->threads / align * align;
	return i == c->threads - 1 ? c->size - len * (size_t)(c->threads - 1) : len;
}

/* Each thread's slice gets a VMA of its own between PROT_NONE guard pages: numa_maps reports
 * per VMA, so the placement of every slice is known (a free thread may take its memory to
 * another node than its neighbour's), and an unbound (MPOL_DEFAULT) anonymous range cannot
 * merge with a neighbour. */
static int wl_map(const struct wl_cfg *c, char **sl)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), align = c->thp ? THP_BYTES : page, off = 0;
	size_t total = c->size + (size_t)c->threads * (align + page) + align;
	char *p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int flags = MAP_FIXED | (c->fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS);
	if (p == MAP_FAILED)
		return -1;
	p += page;
	for (int i = 0; i < c->threads; i++) {
		size_t len = wl_slice_len(c, i);
		p = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
		if (mmap(p, len, PROT_READ | PROT_WRITE, flags, c->fd, (off_t)off) == MAP_FAILED ||
		    madvise(p, len, c->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
			return -1;
		sl[i] = p;
		p += len + page;
		off += len;
	}
	return 0;
}

/* Bind to node B, first-touch, then unbind without moving a page (nb_first_touch_on: a VMA with
 * a policy of its own is skipped by the scanner). The hard-bound baselines keep their policy on
 * purpose. */
static int wl_setup(const struct wl_cfg *c, char **sl)
{
	uint64_t thp = 0;
	if (wl_map(c, sl))
		return wl_fail(c, "mapping the buffer");
	for (int i = 0; i < c->threads; i++) {
		size_t len = wl_slice_len(c, i);
		const char *step;
		if (nb_first_touch_on(sl[i], len, c->bind_node, c->unbind, &step))
			return wl_fail(c, step);
		thp += nb_thp_bytes(sl[i], len);
		c->ctl->slice[i] = (uintptr_t)sl[i];
		c->ctl->slice_len[i] = len;
	}
	c->ctl->thp_share = (double)thp / (double)c->size;
	return 0;
}

static size_t wl_seq(char *lo, size_t len, size_t *off, bool wr, uint64_t *sink)
{
	size_t n = len - *off < CHUNK ? len - *off : CHUNK;
	char *p = lo + *off;
	for (size_t i = 0; i < n; i += NB_LINE) {
		uint64_t *q = (uint64_t *)(p + i);
		if (wr)
			*q = i;
		else
			*sink += *q;
	}
	*off = *off + n >= len ? 0 : *off + n;
	return n;
}

static size_t wl_random(char *lo, size_t len, uint64_t *seed, bool wr, uint64_t *sink)
{
	size_t lines = len / NB_LINE;
	for (size_t i = 0; i < CHUNK / NB_LINE; i++) {
		*seed ^= *seed << 13; /* xorshift64 */
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		uint64_t *q = (uint64_t *)(lo + (*seed % lines) * NB_LINE);
		if (wr)
			*q = i;
		else
			*sink += *q;
	}
	return CHUNK;
}

static void *wl_thread(void *v)
{
	struct wl_worker *w = v;
	const struct wl_cfg *c = w->c;
	struct wl_slot *slot = &c->ctl->slot[c->proc * MAX_THREADS + w->idx];
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(w->idx + 1), sink = 0;
	size_t off = 0;
	c->ctl->proc[c->proc].tids[w->idx] = gettid();
	pthread_barrier_wait(w->ready);
	pthread_barrier_wait(w->go);
	if (c->free_move && nb_pin_self(c->all, c->nall))
		atomic_store(&c->ctl->proc[c->proc].unpin_failed, 1);
	while (atomic_load_explicit(&c->ctl->phase, memory_order_relaxed) != WL_STOP) {
		size_t n = c->random ? wl_random(w->lo, w->len, &seed, c->write, &sink)
				     : wl_seq(w->lo, w->len, &off, c->write, &sink);
		atomic_fetch_add_explicit(&slot->bytes, n, memory_order_relaxed);
	}
	slot->sink = sink;
	return NULL;
}

static int wl_start_threads(const struct wl_cfg *c, char **sl, struct wl_worker *w,
			    pthread_barrier_t bar[2])
{
	for (int i = 0; i < c->threads; i++) {
		w[i] = (struct wl_worker){c, sl[i], wl_slice_len(c, i), i, &bar[0], &bar[1], 0};
		int e = pthread_create(&w[i].th, NULL, wl_thread, &w[i]);
		if (e) {
			errno = e;
			return -1;
		}
	}
	return 0;
}

/* Main of a workload process. Its threads inherit the node-A affinity of this thread. */
int bal_wl_main(void *arg)
{
	const struct wl_cfg *c = arg;
	static struct wl_worker w[MAX_THREADS];
	pthread_barrier_t bar[2]; /* threads ready (tids known), go */
	signal(SIGTERM, SIG_DFL); /* the parent's handler restores tunables: not ours to run */
	if (nb_pin_self(c->cpus, c->ncpus))
		return wl_fail(c, "pinning to node A");
	char *sl[MAX_THREADS];
	if (c->setup && wl_setup(c, sl))
		return 1;
	if (!c->setup && wl_map(c, sl)) /* the second process maps what the first one placed */
		return wl_fail(c, "mapping the shared buffer");
	for (int i = 0; i < 2; i++)
		pthread_barrier_init(&bar[i], NULL, (unsigned)c->threads + 1);
	if (wl_start_threads(c, sl, w, bar))
		return wl_fail(c, "starting workload threads");
	pthread_barrier_wait(&bar[0]);
	atomic_store(&c->ctl->proc[c->proc].state, P_READY);
	while (atomic_load(&c->ctl->phase) == WL_WAIT)
		usleep(1000);
	pthread_barrier_wait(&bar[1]);
	for (int i = 0; i < c->threads; i++)
		pthread_join(w[i].th, NULL);
	return 0;
}
