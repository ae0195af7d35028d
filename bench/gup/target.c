/* numabench bench `gup`: the target process. Owns the child side (its buffer layout, the
 * busy thread that keeps its mm scanned, the second thread that serves the positive control
 * and the mark check) and the parent side (start over a socket pair, stop, SIGSTOP freeze,
 * ptrace attach, mark check). Protocol points 2, 3, 5, 6 and 8 of README "Protocol, and why". */
#include "child.h"
#include "gup/gup.h"

#include <errno.h>
#include <numaif.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSY_BYTES (4 * 4096)
#define MARKER "numabench-gup"

/* ---- the target (runs in the child) ---------------------------------------------------- */

struct tmem {
	const struct tspec *s;
	char *buf, *canary, *prot_none, *ro, *busy;
	atomic_int park, parked;
};

int gup_send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The last pages a CPU faulted in wait in its LRU batch, holding an extra reference, and 6.1's
 * change_pte_range() skips COW-mapping pages whose page_count is not 1 (mm/mprotect.c; 6.12
 * tests the mapcount instead): those buffer pages would never be marked. Faulting in more pages
 * than a batch holds (15 in 6.1, 31 in 6.12) on the same CPU pushes them out.
 * KERNEL-NOTES.md#KN-lru-batch-refcount
 */
static int lru_flush(size_t psz)
{
	size_t len = 64 * psz;
	char *f = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		return -1;
	for (size_t off = 0; off < len; off += psz)
		((volatile char *)f)[off] = 1;
	return munmap(f, len);
}

/* Node of the page at p, -1 unknown. The page is present (just read): no hinting fault. */
static int page_node(const void *p)
{
	int node = -1;
	return get_mempolicy(&node, NULL, 0, (void *)p, MPOL_F_NODE | MPOL_F_ADDR) ? -1 : node;
}

/* Layout: [PROT_NONE probe][buffer, RW][canary pages, RW][read-only probe][PROT_NONE guard].
 * The canary pages end the buffer's VMA: the scanner decides per VMA (6.4+: per-VMA scan delay
 * and access history) and marks a VMA front to back, so their hinting faults say the buffer
 * was covered (README protocol point 5, KERNEL-NOTES.md#KN-numab-vma-delay). */
static int tmem_map(struct tmem *m, size_t pages, size_t psz)
{
	size_t len = pages * psz, clen = GUP_CANARY_PAGES * psz;
	char *r = mmap(NULL, len + clen + 3 * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->busy =
	    mmap(NULL, BUSY_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED || m->busy == MAP_FAILED)
		return -1;
	m->prot_none = r;
	m->buf = r + psz;
	m->canary = m->buf + len;
	m->ro = m->canary + clen;
	if (madvise(m->buf, len + clen, MADV_NOHUGEPAGE))
		return -1;
	memcpy(m->prot_none, MARKER, sizeof(MARKER));
	memcpy(m->ro, MARKER, sizeof(MARKER));
	for (size_t i = 0; i < pages; i++) /* first touch, on node A */
		((volatile char *)m->buf)[i * psz] = (char)i;
	for (size_t i = 0; i < GUP_CANARY_PAGES; i++) /* before lru_flush(), as the buffer */
		((volatile char *)m->canary)[i * psz] = 1;
	memset(m->busy, 0, BUSY_BYTES);
	if (lru_flush(psz))
		return -1;
	if (mprotect(m->prot_none, psz, PROT_NONE) || mprotect(m->ro, psz, PROT_READ) ||
	    mprotect(m->ro + psz, psz, PROT_NONE))
		return -1;
	return 0;
}

long gup_thread_minflt(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_minflt;
}

/* Positive control, in the target's second thread: park the main thread, move to node B,
 * read one byte of every page. Replies 'R' when ready, then after "G" its minflt delta and
 * per-page nanoseconds; 'E' when it cannot. */
static void positive(struct tmem *m)
{
	const struct tspec *s = m->s;
	uint64_t *ns = calloc(s->pages, sizeof(*ns));
	atomic_store(&m->park, 1);
	while (!atomic_load(&m->parked))
		sched_yield(); /* the main thread shares node A's cpus with us */
	char c = (!ns || nb_pin_self(s->cpus_b, s->nb)) ? 'E' : 'R';
	if (gup_send_all(s->sock, &c, 1) || c == 'E' || recv(s->sock, &c, 1, 0) != 1) {
		free(ns);
		return;
	}
	long f0 = gup_thread_minflt();
	for (size_t i = 0; i < s->pages; i++) {
		uint64_t t0 = nb_now_ns();
		(void)((volatile char *)m->buf)[i * s->psz];
		ns[i] = nb_now_ns() - t0;
	}
	int64_t flt = gup_thread_minflt() - f0;
	if (gup_send_all(s->sock, &flt, sizeof(flt)) == 0)
		gup_send_all(s->sock, ns, s->pages * sizeof(*ns));
	free(ns);
}

static __thread sigjmp_buf segv_jmp;
static __thread volatile sig_atomic_t segv_armed;

static void on_segv(int sig)
{
	if (!segv_armed) { /* a fault anywhere else: die of it */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(segv_jmp, 1);
}

/* The PROT_NONE check (README "PROT_NONE check"): the target itself reads its PROT_NONE
 * probe page. 'F' it faulted (still PROT_NONE to the target), 'A' it read it, 'E' no handler. */
static void self_probe(struct tmem *m)
{
	struct sigaction sa = {.sa_handler = on_segv};
	char c = 'E';
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) == 0) {
		if (sigsetjmp(segv_jmp, 1) == 0) {
			segv_armed = 1;
			(void)*(volatile char *)m->prot_none;
			c = 'A';
		} else {
			c = 'F';
		}
		segv_armed = 0;
	}
	gup_send_all(m->s->sock, &c, 1);
}

/* Mark check (README protocol point 5): read each canary page once, counting this thread's
 * faults around the reads; a page the scanner marked takes a hinting fault (a minor fault).
 * Nothing between the two counts touches memory the scanner may have marked since the first
 * count but the canaries (a stack or GOT page marked within those microseconds would add one:
 * hence more than one canary, all of which must fault). */
static void canary_check(struct tmem *m)
{
	struct canary r;
	volatile char *c = m->canary;
	size_t psz = m->s->psz;
	memset(&r, 0, sizeof(r));
	(void)gup_thread_minflt(); /* this stack page and the call's path, touched just before */
	long f0 = gup_thread_minflt();
	for (size_t i = 0; i < GUP_CANARY_PAGES; i++)
		(void)c[i * psz];
	long f1 = gup_thread_minflt();
	r.faults = f0 < 0 || f1 < 0 ? -1 : (int32_t)(f1 - f0);
	for (size_t i = 0; i < GUP_CANARY_PAGES; i++)
		r.node[i] = page_node((const char *)c + i * psz);
	gup_send_all(m->s->sock, &r, sizeof(r));
}

static void *control(void *v)
{
	struct tmem *m = v;
	char c;
	while (recv(m->s->sock, &c, 1, 0) == 1)
		if (c == 'T')
			positive(m);
		else if (c == 'P')
			self_probe(m);
		else if (c == 'C')
			canary_check(m);
	_exit(0); /* numabench closed its end: never outlive it */
}

/* The main thread keeps the mm scanned and never touches the buffer. */
static void busy(struct tmem *m)
{
	volatile char *p = m->busy;
	for (size_t i = 0; !atomic_load_explicit(&m->park, memory_order_relaxed); i += 64)
		p[i % BUSY_BYTES]++;
	atomic_store(&m->parked, 1);
	for (;;)
		pause();
}

static int target_main(void *v)
{
	const struct tspec *s = v;
	static struct tmem m;
	struct ready r;
	pthread_t th;
	memset(&r, 0, sizeof(r)); /* padding too: the struct goes over a socket */
	close(s->other);
	m.s = s;
	/* Undo an inherited policy (numactl --membind ...): without MPOL_F_MOF the scanner
	 * would skip every VMA of the target (README protocol point 2,
	 * KERNEL-NOTES.md#KN-policy-mof). One cpu of A for the first touch,
	 * so that lru_flush() drains the batch that holds the buffer's last pages. */
	if (set_mempolicy(MPOL_DEFAULT, NULL, 0) || nb_pin_self(s->cpus_a, 1))
		r.err = errno ? errno : EINVAL;
	else if ((errno = pthread_create(&th, NULL, control, &m)))
		r.err = errno; /* before the buffer: mm_users is 2 from the first scan on */
	else if (tmem_map(&m, s->pages, s->psz) || nb_pin_self(s->cpus_a, s->na))
		r.err = errno ? errno : EINVAL;
	r.buf = (uintptr_t)m.buf;
	r.prot_none = (uintptr_t)m.prot_none;
	r.ro = (uintptr_t)m.ro;
	for (size_t i = 0; i < GUP_CANARY_PAGES; i++)
		r.canary_node[i] = r.err ? -1 : page_node(m.canary + i * s->psz);
	if (gup_send_all(s->sock, &r, sizeof(r)) || r.err)
		return 1;
	busy(&m);
	return 0;
}

/* ---- the target (parent side) ----------------------------------------------------------- */

int gup_recv_all(int fd, void *p, size_t n, int ms)
{
	char *c = p;
	uint64_t end = nb_now_ns() + (uint64_t)ms * 1000000u;
	while (n) {
		struct pollfd pf = {fd, POLLIN, 0};
		int left = (int)((end - nb_now_ns()) / 1000000u);
		int rc = nb_now_ns() >= end ? 0 : poll(&pf, 1, left);
		if (rc < 0 && errno == EINTR && !nb_interrupted)
			continue;
		if (rc <= 0) {
			errno = rc == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		ssize_t got = recv(fd, c, n, 0);
		if (got <= 0) {
			errno = got == 0 ? EPIPE : errno;
			return -1;
		}
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

void gup_target_stop(struct target *t)
{
	if (t->pid > 0)
		nb_child_kill(t->pid);
	if (t->sock >= 0)
		close(t->sock);
	t->pid = -1;
	t->sock = -1;
}

int gup_target_start(struct target *t, struct tspec *s, char *why, size_t wl)
{
	int sv[2];
	memset(t, 0, sizeof(*t));
	t->pid = t->sock = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(why, wl, "socketpair: %s", strerror(errno));
		return -1;
	}
	s->sock = sv[1];
	s->other = sv[0];
	t->pid = nb_child_spawn(target_main, s);
	close(sv[1]);
	t->sock = sv[0];
	if (t->pid < 0 || gup_recv_all(t->sock, &t->r, sizeof(t->r), REPLY_MS)) {
		snprintf(why, wl, "target did not start: %s", strerror(errno));
		return -1;
	}
	if (t->r.err) {
		snprintf(why, wl, "target setup failed: %s", strerror(t->r.err));
		return -1;
	}
	struct nb_sched_numa sn;
	t->seq0 = nb_sched_numa_read(t->pid, 0, &sn) ? -1 : sn.mm_numa_scan_seq;
	t->seq_checked = t->seq0;
	return 0;
}

int gup_target_canary(struct target *t, struct canary *out)
{
	if (gup_send_all(t->sock, "C", 1) || gup_recv_all(t->sock, out, sizeof(*out), REPLY_MS))
		return -1;
	for (int i = 0; i < GUP_CANARY_PAGES; i++)
		t->r.canary_node[i] = out->node[i];
	return 0;
}

/* State letter of /proc/PID/stat ('T' stopped, 't' tracing stop), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (nb_read_file(path, buf, sizeof(buf)))
		return 0;
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int gup_target_sigstop(struct target *t)
{
	int st;
	if (kill(t->pid, SIGSTOP))
		return -1;
	while (waitpid(t->pid, &st, WUNTRACED) < 0)
		if (errno != EINTR || nb_interrupted)
			return -1;
	if (!WIFSTOPPED(st)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/* PTRACE_ATTACH the stopped main thread; it re-traps into a tracing stop ('t'). The ptrace
 * requests and the /proc/PID/mem force check (task->parent == current) need this thread. */
int gup_target_attach(struct target *t)
{
	if (ptrace(PTRACE_ATTACH, t->pid, NULL, NULL))
		return -1;
	t->attached = true;
	for (int i = 0; i < 5000 && !nb_interrupted; i++) {
		int st;
		waitpid(t->pid, &st, WNOHANG | __WALL);
		if (proc_state(t->pid) == 't')
			return 0;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return -1;
}

int gup_target_resume(struct target *t)
{
	if (t->attached && ptrace(PTRACE_DETACH, t->pid, NULL, NULL))
		return -1;
	t->attached = false;
	return kill(t->pid, SIGCONT);
}

int gup_target_self_probe(struct target *t)
{
	char r = 0;
	if (gup_send_all(t->sock, "P", 1) || gup_recv_all(t->sock, &r, 1, REPLY_MS))
		return PN_UNKNOWN;
	return r == 'F' ? PN_FAULTED : r == 'A' ? PN_READABLE : PN_UNKNOWN;
}

int gup_maps_perms(pid_t pid, uintptr_t addr, char *out, size_t len)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	int rc = -1;
	while (f && rc && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) {
			snprintf(out, len, "%s", perms);
			rc = 0;
		}
	}
	if (f)
		fclose(f);
	return rc;
}
