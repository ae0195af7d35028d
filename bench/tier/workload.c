/* numabench bench `tier`: the child processes of a trial. Owns the workload process (pinned to
 * the fast node, it places the hot and cold sets by first touch and then reads the hot set,
 * one load per cache line, at hot_rate passes per second) and the filler of the demotion
 * scenario (bound to the fast node, it fills it past its watermarks).
 *
 * A fresh process (a fresh mm) per trial: NUMA scanning state lives in the mm (numa_scan_seq,
 * and on 6.12 the per-VMA scan skipping that after two scan sequences scans only VMAs the task
 * faulted on). In one process reused across trials, the fourth trial of a first version of this
 * bench took 11 hinting faults in 6 s in a 6.12 guest, where the same trial alone took 2048. */
#include "tier/tier.h"
#include "kernels.h"
#include "place.h"

#include <errno.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int wl_fail(struct wl *w, const char *what)
{
	snprintf(w->msg, sizeof(w->msg), "%s: %s", what, strerror(errno));
	atomic_store(&w->state, 2);
	return 1;
}

/* Map and place a set on node by first touch (nb_first_touch_on), unbound unless keep (the
 * hard-bound baselines). NULL with errno. */
static char *place_set(size_t len, int node, bool keep)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_NOHUGEPAGE) || nb_first_touch_on(p, len, node, !keep, NULL)) {
		int e = errno;
		munmap(p, len);
		errno = e;
		return NULL;
	}
	return p;
}

int tier_wl_main(void *v)
{
	struct wl *w = v;
	signal(SIGTERM, SIG_DFL); /* the parent's handler restores tunables: not ours to run */
	if (nb_pin_self(w->cpus, w->ncpus))
		return wl_fail(w, "pinning to the fast node");
	char *hp = place_set(w->hot_len, w->hot_node, w->keep);
	if (!hp)
		return wl_fail(w, "placing the hot set");
	char *cp = place_set(w->cold_len, w->cold_node, w->keep);
	if (!cp)
		return wl_fail(w, "placing the cold set");
	w->hot = (uintptr_t)hp;
	w->cold = (uintptr_t)cp;
	atomic_store(&w->state, 1);
	uint64_t pass_ns = w->rate ? SEC / w->rate : 0, sink = 0;
	while (!atomic_load(&w->stop)) {
		uint64_t t0 = nb_now_ns();
		for (size_t i = 0; i < w->hot_len; i += NB_LINE)
			sink += *(volatile uint64_t *)(hp + i);
		atomic_fetch_add(&w->bytes, w->hot_len);
		if (pass_ns) {
			uint64_t el = nb_now_ns() - t0;
			if (el < pass_ns)
				usleep((useconds_t)((pass_ns - el) / 1000));
		}
	}
	return (int)(sink & 0);
}

int tier_fill_main(void *v)
{
	struct fill_arg *a = v;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	signal(SIGTERM, SIG_DFL);
	char *p = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, a->len, MADV_NOHUGEPAGE) ||
	    nb_mbind_node(p, a->len, MPOL_BIND, a->node)) {
		snprintf(a->ctl->msg, sizeof(a->ctl->msg), "filler mmap/mbind: %s",
			 strerror(errno));
		atomic_store(&a->ctl->state, 2);
		return 1;
	}
	/* The kernel populates (MADV_POPULATE_WRITE, 5.14+) in 8 MiB steps: under QEMU TCG a
	 * user-space first touch filled 16 MB/s, too slow to fill a node in a trial. */
	for (size_t i = 0; i < a->len; i += 8u << 20) {
		size_t n = a->len - i < (8u << 20) ? a->len - i : 8u << 20;
		if (madvise(p + i, n, 23 /* MADV_POPULATE_WRITE */))
			for (size_t k = 0; k < n; k += page)
				p[i + k] = 1;
		atomic_store(&a->ctl->touched, i + n);
	}
	atomic_store(&a->ctl->touched, a->len);
	atomic_store(&a->ctl->state, 1);
	for (;;)
		pause();
	return 0;
}
