/* numabench bench `gup`: one pass of one cell. Owns setting numa_balancing before the target
 * starts, the wait until the scanner marked the buffer (the canary check), the freeze, the access
 * (a path, the null wait or the positive control) with its counters and placements, and the
 * per-pass probe (protocol points 1, 5, 6, 7 and 8). */
#include "gup/gup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *gup_err_name(int e, char *buf, size_t len)
{
	if (e == 0)
		return "ok";
	if (e == NB_RSHORT)
		return "short transfer";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, len, "E%d", e);
	return buf;
}

int gup_spec_for(struct gup *g, int a, int b, size_t pages)
{
	if (!g->spec.cpus_a)
		g->spec.cpus_a = nb_ctx_cpu_list(g->ctx);
	if (!g->spec.cpus_b)
		g->spec.cpus_b = nb_ctx_cpu_list(g->ctx);
	g->spec.na = nb_ctx_node_cpus(g->ctx, a, g->spec.cpus_a);
	g->spec.nb = nb_ctx_node_cpus(g->ctx, b, g->spec.cpus_b);
	g->spec.pages = pages;
	g->spec.psz = g->psz;
	return g->spec.na > 0 && g->spec.nb > 0 ? 0 : -1;
}

static void pass_fail(struct pass *p, const char *what, int e)
{
	char b[16];
	snprintf(p->fail, sizeof(p->fail), "%s: %s", what, gup_err_name(e, b, sizeof(b)));
}

/* Marked (README protocol point 5): the target's own buffer VMA was covered by the scanner,
 * judged from the target's canary pages, which end that VMA: every one of them took a hinting
 * fault when the target read it. numa_pte_updates, system-wide, counts any task's PTEs (a scan
 * of numabench itself, the guest's shell), and the target's mm->numa_scan_seq rises after a
 * scan that skipped a VMA too new for it (6.4+, KERNEL-NOTES.md#KN-numab-vma-delay): both only
 * say when a check is worth making. A check after each rise of mm->numa_scan_seq (a finished
 * scan), every 50 ms when the kernel does not print it. -1: the check failed (p->fail). */
static int is_marked(const struct gup *g, struct target *t, const struct nb_vmstat *v0,
		     struct pass *p)
{
	struct nb_vmstat v;
	struct nb_sched_numa s;
	struct canary c;
	int64_t base = v0->v[NB_VM_numa_pte_updates];
	if (nb_vmstat_read(&v) || base < 0 ||
	    v.v[NB_VM_numa_pte_updates] - base < (int64_t)(g->pages + GUP_CANARY_PAGES))
		return 0;
	if (nb_sched_numa_read(t->pid, 0, &s))
		return 0;
	int64_t seq = s.mm_numa_scan_seq;
	p->seq_rise = seq >= 0 && t->seq0 >= 0 ? seq - t->seq0 : -1;
	if (seq >= 0 && t->seq_checked >= 0 ? seq == t->seq_checked
					    : nb_now_ns() - t->checked_ns < 50000000u)
		return 0;
	t->seq_checked = seq;
	t->checked_ns = nb_now_ns();
	if (gup_target_canary(t, &c)) {
		pass_fail(p, "mark check: no answer from the target", errno);
		return -1;
	}
	p->canary_checks++;
	p->canary_faults = c.faults;
	return c.faults >= GUP_CANARY_PAGES;
}

/* Wait at least settle_ms, and with balancing on until the buffer is marked (or timeout). */
static bool wait_marked(const struct gup *g, struct target *t, const struct nb_vmstat *v0,
			bool want, struct pass *p)
{
	uint64_t t0 = nb_now_ns();
	bool m = false;
	for (;;) {
		uint64_t el = (nb_now_ns() - t0) / 1000000u;
		int r = want && !m ? is_marked(g, t, v0, p) : 0;
		m = m || r > 0;
		if ((el >= g->settle_ms && (m || !want)) || el >= g->mark_timeout_ms ||
		    nb_interrupted || r < 0) {
			p->mark_wait_ms = (double)el;
			return m;
		}
		usleep(2000);
	}
}

static int freeze(struct cell *c, struct target *t, struct pass *p)
{
	char r = 0;
	if (c->kind == K_POSITIVE) {
		if (gup_send_all(t->sock, "T", 1) || gup_recv_all(t->sock, &r, 1, REPLY_MS) ||
		    r != 'R') {
			pass_fail(p, "positive control: the target's second thread did not move",
				  r == 'E' ? EINVAL : errno);
			return -1;
		}
		return 0;
	}
	if (gup_target_sigstop(t)) {
		pass_fail(p, "SIGSTOP of the target", errno);
		return -1;
	}
	if (c->kind == K_PATH && c->attached && gup_target_attach(t)) {
		p->err = errno;
		pass_fail(p, "PTRACE_ATTACH", errno);
		return -1;
	}
	return 0;
}

int gup_open_mem(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* The access itself: a path over every page, the null wait, or the positive control. */
static void access_pages(struct gup *g, struct cell *c, struct target *t, struct pass *p,
			 const struct nb_remote *r)
{
	if (c->kind == K_PATH) {
		p->done = nb_remote_pass(c->path, r, g->addrs, g->pages, nb_now_ns, g->ns, &p->err);
	} else if (c->kind == K_NULL) {
		uint64_t w = g->last_access_ns < 1000000u ? 1000000u : g->last_access_ns;
		struct timespec ts = {(time_t)(w / 1000000000u), (long)(w % 1000000000u)};
		while (nanosleep(&ts, &ts) && errno == EINTR && !nb_interrupted)
			;
	} else if (gup_send_all(t->sock, "G", 1) ||
		   gup_recv_all(t->sock, &p->reader_minflt, sizeof(p->reader_minflt), REPLY_MS) ||
		   gup_recv_all(t->sock, g->ns, g->pages * sizeof(*g->ns), REPLY_MS)) {
		pass_fail(p, "positive control: no answer from the target", errno);
	} else {
		p->done = g->pages;
	}
}

/* Keep the pass's per-page times and throughput in the cell. */
void gup_collect(struct gup *g, struct cell *c, const struct pass *p)
{
	double sum = 0;
	if (c->kind == K_NULL || p->fail[0] || p->err || !p->done)
		return;
	if (!c->lat)
		c->lat = malloc(g->pages * (size_t)g->repeat * sizeof(*c->lat));
	for (size_t i = 0; c->lat && i < p->done; i++) {
		c->lat[c->nlat++] = (double)g->ns[i];
		sum += (double)g->ns[i];
	}
	if (sum > 0)
		c->tput[c->ntput++] = (double)p->done / (sum * 1e-9);
}

static void probe_pages(struct cell *c, struct target *t, struct pass *p, const struct nb_remote *r)
{
	if (c->kind != K_PATH)
		return;
	p->prot_none = nb_remote_access(c->path, r, t->r.prot_none);
	p->read_only = nb_remote_access(c->path, r, t->r.ro);
}

/* The buffer's placement from numa_maps (point 2), which counts whole VMAs: the canary pages
 * share the buffer's, so they are taken out at the nodes the target last reported for them. */
static void buffer_placement(const struct target *t, size_t len, int a, struct nb_placement *o)
{
	if (nb_placement_numa_maps(t->pid, (void *)t->r.buf, len, a, o))
		return;
	for (int i = 0; i < GUP_CANARY_PAGES; i++) {
		int n = t->r.canary_node[i];
		if (n >= 0 && n < NB_MAX_NODE_ID && o->per_node[n] && o->pages_sampled) {
			o->per_node[n]--;
			o->pages_sampled--;
		}
	}
	uint64_t on = a >= 0 && a < NB_MAX_NODE_ID ? o->per_node[a] : 0;
	o->on_intended = o->pages_sampled ? (double)on / (double)o->pages_sampled : 0;
	o->not_present = o->pages_total > o->pages_sampled ? o->pages_total - o->pages_sampled : 0;
}

static void measure(struct gup *g, struct cell *c, struct target *t, struct pass *p,
		    const struct nb_vmstat *v0)
{
	struct nb_vmstat v1, v2;
	struct nb_remote r = {t->pid, -1, g->scratch, g->psz};
	int64_t tf0 = 0, tf1 = 0, maj;
	size_t len = g->pages * g->psz;
	if (c->kind == K_PATH && nb_rpaths[c->path].memfd && (r.memfd = gup_open_mem(t->pid)) < 0) {
		p->err = errno;
		pass_fail(p, "open /proc/PID/mem", errno);
		return;
	}
	for (size_t i = 0; i < g->pages; i++)
		g->addrs[i] = t->r.buf + i * g->psz;
	buffer_placement(t, len, c->a, &p->before);
	nb_task_faults(t->pid, &tf0, &maj);
	nb_vmstat_read(&v1);
	p->pte_updates = v1.v[NB_VM_numa_pte_updates] - v0->v[NB_VM_numa_pte_updates];
	long f0 = gup_thread_minflt();
	uint64_t t0 = nb_now_ns();
	access_pages(g, c, t, p, &r);
	uint64_t el = nb_now_ns() - t0;
	long f1 = gup_thread_minflt();
	/* A read path really read the target: page i starts with (char)i (tmem_map). */
	p->data = c->kind != K_PATH || nb_rpaths[c->path].write || !p->done
		      ? -1
		      : g->scratch[0] == (char)(p->done - 1);
	nb_vmstat_read(&v2);
	nb_task_faults(t->pid, &tf1, &maj);
	buffer_placement(t, len, c->a, &p->after);
	nb_vmstat_delta(&v1, &v2, &p->during);
	if (c->kind != K_POSITIVE) /* the positive control's reader is the target's thread */
		p->reader_minflt = f1 - f0;
	p->target_minflt = tf1 - tf0;
	probe_pages(c, t, p, &r);
	if (r.memfd >= 0)
		close(r.memfd);
	if (c->kind == K_PATH && !p->fail[0])
		g->last_access_ns = el;
}

/* The PROT_NONE check: after the path's access to the target's PROT_NONE page (while the
 * scanner has marked the buffer next to it, balancing 1), the page must still be PROT_NONE to
 * the target itself: its mapping says ---p and its own read faults
 * (KERNEL-NOTES.md#KN-foll-force-protnone). */
static void prot_none_check(const struct cell *c, struct target *t, struct pass *p)
{
	if (c->kind != K_PATH || p->prot_none == NOT_PROBED)
		return;
	if (gup_maps_perms(t->pid, t->r.prot_none, p->pn_perms, sizeof(p->pn_perms)))
		p->pn_perms[0] = 0;
	if (gup_target_resume(t) == 0)
		p->pn_self = gup_target_self_probe(t);
}

void gup_run_pass(struct gup *g, struct cell *c, struct pass *p)
{
	struct target t = {.pid = -1, .sock = -1};
	struct nb_vmstat v0;
	char why[256];
	memset(p, 0, sizeof(*p));
	p->prot_none = p->read_only = NOT_PROBED;
	p->data = -1;
	p->pn_self = PN_UNKNOWN;
	p->canary_faults = -1;
	p->seq_rise = -1;
	if (gup_spec_for(g, c->a, c->b, g->pages) || nb_pin_self(g->spec.cpus_b, g->spec.nb)) {
		pass_fail(p, "cannot pin the reader to its node", errno);
		return;
	}
	/* Before the target starts (point 1). */
	if (g->can_set_bal && nb_scan_value(NB_SCAN_BALANCING) != c->balancing &&
	    nb_scan_set(NB_SCAN_BALANCING, c->balancing, why, sizeof(why))) {
		snprintf(p->fail, sizeof(p->fail), "%s", why);
		return;
	}
	nb_vmstat_read(&v0);
	if (gup_target_start(&t, &g->spec, p->fail, sizeof(p->fail)) == 0) {
		p->marked = wait_marked(g, &t, &v0, c->balancing > 0, p);
		if (!nb_interrupted && !p->fail[0] && freeze(c, &t, p) == 0) {
			measure(g, c, &t, p, &v0);
			prot_none_check(c, &t, p);
		}
	}
	gup_target_stop(&t);
}
