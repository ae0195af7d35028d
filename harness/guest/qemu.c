/* numabench guest runner: QEMU, its command line (NUMA nodes, distances, HMAT) and its run
 * under a timeout, in a process group of its own that signals and timeouts kill. */
#include "guest_int.h"
#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t g_signal;

static void on_guest_signal(int sig)
{
	g_signal = sig;
}

void av_add(struct argvec *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (a->n < (int)(sizeof(a->v) / sizeof(a->v[0])) - 1 && vasprintf(&s, fmt, ap) >= 0)
		a->v[a->n++] = s;
	va_end(ap);
	a->v[a->n] = NULL;
}

void av_free(struct argvec *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

const char *qemu_bin(void)
{
	const char *env = getenv("NUMABENCH_QEMU");
	return env && *env ? env : guest_arm64() ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

/* The emulator's path, looked up in PATH like execvp does; "" when not found. */
void which(const char *bin, char *out, size_t len)
{
	const char *env = getenv("PATH"), *p = env && *env ? env : "/usr/bin:/bin";
	if (strchr(bin, '/')) {
		snprintf(out, len, "%s", bin);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(out, len, "%.*s/%s", (int)n, p, bin);
		if (!access(out, X_OK))
			return;
		p += n + (p[n] == ':');
	}
	out[0] = 0;
}

static void qemu_numa(struct argvec *a, const struct gtopo *t)
{
	for (int i = 0; i < t->nnodes; i++) {
		const struct gnode *n = &t->nodes[i];
		char node[1024];
		int len = snprintf(node, sizeof(node), "node,nodeid=%d,memdev=m%d", i, i);
		for (int c = 0; c < n->ncpus && len < 900; c++)
			len += snprintf(node + len, sizeof(node) - (size_t)len, ",cpus=%d",
					n->cpus[c]);
		if (t->hmat)
			snprintf(node + len, sizeof(node) - (size_t)len, ",initiator=%d",
				 n->initiator);
		av_add(a, "-object");
		av_add(a, "memory-backend-ram,id=m%d,size=%lluM", i,
		       (unsigned long long)(n->mem >> 20));
		av_add(a, "-numa");
		av_add(a, "%s", node);
	}
	for (int i = 0; t->have_dist && i < t->nnodes; i++) {
		for (int j = 0; j < t->nnodes; j++) {
			if (i == j)
				continue;
			av_add(a, "-numa");
			av_add(a, "dist,src=%d,dst=%d,val=%d", i, j, t->dist[i][j]);
		}
	}
}

/* HMAT: QEMU takes latency in ns and bandwidth in bytes/s (M = MiB); Linux publishes
 * the values of each target's initiator in sysfs, in ns and MB/s. */
static void qemu_hmat(struct argvec *a, const struct gtopo *t)
{
	for (int i = 0; t->hmat && i < t->nnodes; i++) {
		for (int j = 0; t->nodes[i].ncpus && j < t->nnodes; j++) {
			if (t->lat_ns[i][j]) {
				av_add(a, "-numa");
				av_add(a,
				       "hmat-lb,initiator=%d,target=%d,hierarchy=memory,"
				       "data-type=access-latency,latency=%llu",
				       i, j, (unsigned long long)t->lat_ns[i][j]);
			}
			if (t->bw_mib[i][j]) {
				av_add(a, "-numa");
				av_add(a,
				       "hmat-lb,initiator=%d,target=%d,hierarchy=memory,"
				       "data-type=access-bandwidth,bandwidth=%lluM",
				       i, j, (unsigned long long)t->bw_mib[i][j]);
			}
		}
	}
}

/*
 * arm64: -M virt with the device tree QEMU generates (its NUMA nodes and distances; Debian's
 * kernels read them exactly; through UEFI/ACPI NUMA falls back to one node), -cpu max (a PMUv3
 * with 6 counters + the cycle counter), GICv3 (more than 8 vCPUs). The virt board has one
 * UART, a PL011 (ttyAMA0), which QEMU does not pace: it carries the results channel (a 16550
 * is paced at its baud rate, 115200 at most: ~10 KB/s, minutes for a ci suite's JSON). The
 * console is a PCI 16550 (8250_pci is built into Debian's arm64 kernels, virtio-console is a
 * module), ttyS0 in the guest; numabench.chan= tells init.sh. MTTCG is fine there: arm64
 * patches kernel text under stop_machine. --icount: -icount shift=0 (single-threaded TCG):
 * INST_RETIRED counts exactly, cycles become instruction-count time.
 */
static void qemu_args_arm64(struct argvec *a, const struct gtopo *t, const char *work,
			    const char *append)
{
	av_add(a, "%s", qemu_bin());
	static const char *const fixed[] = {
	    "-nodefaults", "-no-user-config",	 "-nographic", "-monitor", "none",   "-no-reboot",
	    "-machine",	   "virt,gic-version=3", "-cpu",       "max",	   "-accel", "tcg"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		av_add(a, "%s", fixed[i]);
	if (guest_icount()) {
		av_add(a, "-icount");
		av_add(a, "shift=0");
	}
	av_add(a, "-smp");
	av_add(a, "%d,sockets=%d,cores=1,threads=1", t->ncpus, t->ncpus);
	av_add(a, "-m");
	av_add(a, "%lluM", (unsigned long long)(t->total_mem >> 20));
	qemu_numa(a, t);
	av_add(a, "-kernel");
	av_add(a, "%s/vmlinuz", work);
	av_add(a, "-initrd");
	av_add(a, "%s/initrd", work);
	av_add(a, "-append");
	av_add(a, "console=ttyS0 panic=-1 numabench.accel=tcg numabench.chan=ttyAMA0%s%s",
	       append[0] ? " " : "", append);
	av_add(a, "-serial");
	av_add(a, "file:%s/chan", work);
	av_add(a, "-chardev");
	av_add(a, "file,id=con,path=%s/console", work);
	av_add(a, "-device");
	av_add(a, "pci-serial,chardev=con");
}

/* Everything QEMU opens lives in the work folder: no user path is parsed by QEMU. */
void qemu_args(struct argvec *a, const struct gtopo *t, const char *accel, const char *work,
	       const char *append)
{
	bool kvm = !strcmp(accel, "kvm");
	if (guest_arm64()) {
		qemu_args_arm64(a, t, work, append);
		return;
	}
	av_add(a, "%s", qemu_bin());
	static const char *const fixed[] = {
	    "-nodefaults", "-no-user-config", "-nographic", "-monitor", "none", "-no-reboot"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		av_add(a, "%s", fixed[i]);
	av_add(a, "-machine");
	av_add(a, "q35%s", t->hmat ? ",hmat=on" : "");
	av_add(a, "-accel");
	/*
	 * TCG runs one host thread per vCPU by default (MTTCG). Kernel text patching of static
	 * keys (int3-based text_poke_bp, flipped by numa_balancing and perf events) then races
	 * with stale translated code on the other vCPUs: a 6.12 guest oopsed with "int3" in
	 * __schedule/finish_task_switch. One round-robin thread keeps cross-vCPU code
	 * modification coherent; timings under TCG are meaningless anyway.
	 */
	av_add(a, "%s", kvm ? "kvm" : "tcg,thread=single");
	av_add(a, "-cpu");
	av_add(a, "%s", kvm ? "host" : "max");
	av_add(a, "-smp");
	av_add(a, "%d,sockets=%d,cores=1,threads=1", t->ncpus, t->ncpus);
	av_add(a, "-m");
	av_add(a, "%lluM", (unsigned long long)(t->total_mem >> 20));
	qemu_numa(a, t);
	qemu_hmat(a, t);
	av_add(a, "-kernel");
	av_add(a, "%s/vmlinuz", work);
	av_add(a, "-initrd");
	av_add(a, "%s/initrd", work);
	av_add(a, "-append");
	/* numabench.accel: the guest's numabench learns its timings are emulated (a second
	 * source beside CPUID; see nb_timing_detect). Before --append, which may override it. */
	av_add(a, "console=ttyS0,115200 panic=-1 numabench.accel=%s%s%s", kvm ? "kvm" : "tcg",
	       append[0] ? " " : "", append);
	av_add(a, "-serial");
	av_add(a, "file:%s/console", work);
	av_add(a, "-serial");
	av_add(a, "file:%s/chan", work);
}

/* With -v, copy what the console file gained to stderr. */
static void stream_console(int fd)
{
	char buf[4096];
	ssize_t r;
	while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
		if (nb_write_all(2, buf, (size_t)r))
			break;
}

static void qemu_wait(pid_t pid, unsigned timeout, const char *console, struct qresult *r)
{
	uint64_t t0 = nb_now_ns(), limit = (uint64_t)timeout * 1000000000ull;
	int cfd = -1;
	for (;;) {
		int st;
		if (cfd < 0 && nb_verbose) /* QEMU creates it */
			cfd = open(console, O_RDONLY | O_CLOEXEC);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		if (g_signal || nb_interrupted || nb_now_ns() - t0 > limit) {
			r->signal = g_signal ? g_signal : nb_interrupted ? SIGINT : 0;
			r->timed_out = !r->signal;
			r->status = -1;
			nb_child_kill_group(pid, 3000);
			break;
		}
		stream_console(cfd);
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	stream_console(cfd);
	if (cfd >= 0)
		close(cfd);
	r->secs = (double)(nb_now_ns() - t0) / 1e9;
}

/* Run QEMU to completion or timeout; SIGINT/SIGTERM/SIGHUP kill the guest, not us. */
int qemu_run(char **argv, const char *work, unsigned timeout, struct qresult *r)
{
	char log[PATH_MAX], console[PATH_MAX];
	struct sigaction sa = {.sa_handler = on_guest_signal}, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	memset(r, 0, sizeof(*r));
	if (path_fmt(log, sizeof(log), "%s/qemu.log", work) ||
	    path_fmt(console, sizeof(console), "%s/console", work))
		return -1;
	g_signal = 0;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	pid_t pid = nb_child_exec_group(argv, log);
	if (pid > 0)
		qemu_wait(pid, timeout, console, r);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (pid < 0)
		nb_err("guest: cannot start %s: %s", argv[0], strerror(errno));
	return pid < 0 ? -1 : 0;
}
