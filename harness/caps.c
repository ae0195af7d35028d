/* numabench: capabilities of this machine, probed rather than assumed. */
#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <hwloc.h>
#include <linux/perf_event.h>
#include <numa.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static bool pmu_present(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void thp_mode(char *out, size_t len)
{
	char buf[128];
	out[0] = 0;
	if (nb_read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)))
		return;
	char *a = strchr(buf, '['), *b = a ? strchr(a, ']') : NULL;
	if (a && b) {
		*b = 0;
		snprintf(out, len, "%s", a + 1);
	}
}

/*
 * Effective FOLL_FORCE of /proc/PID/mem (KERNEL-NOTES.md#KN-proc-mem-force-override: 6.12
 * and 6.1.113+): a child maps a page PROT_NONE after writing a marker; the parent preads it.
 * Success means the kernel applied FOLL_FORCE.
 */
static int probe_proc_mem_force(void)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	long psz = sysconf(_SC_PAGESIZE);
	char *page = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		memcpy(page, "numabench", 10);
		mprotect(page, psz, PROT_NONE);
		char c = 1;
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	int res = -1;
	char c;
	if (pid > 0 && read(pfd[0], &c, 1) == 1) {
		char path[64], buf[10];
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = pread(fd, buf, sizeof(buf), (off_t)(uintptr_t)page);
			res = (n == (ssize_t)sizeof(buf) && !memcmp(buf, "numabench", 10)) ? 1 : 0;
			close(fd);
		}
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(pfd[0]);
	munmap(page, psz);
	return res;
}

void nb_arm_virt(const char *cpuinfo, const char *dt_compat, size_t dt_len, char *virt, size_t vlen,
		 char *src, size_t slen)
{
	snprintf(virt, vlen, "none");
	snprintf(src, slen, "midr");
	for (const char *l = cpuinfo; l && *l;) {
		size_t n = strcspn(l, "\n");
		const char *colon = memchr(l, ':', n);
		if (colon && !strncmp(l, "CPU implementer", 15)) {
			char *end;
			unsigned long imp = strtoul(colon + 1, &end, 0);
			if (end != colon + 1 && imp == 0) {
				snprintf(virt, vlen, "qemu-tcg");
				return;
			}
			break; /* the first cpu's: all of a TCG guest's are alike */
		}
		l += n + (l[n] == '\n');
	}
	for (size_t i = 0; dt_compat && i < dt_len;) {
		size_t n = strnlen(dt_compat + i, dt_len - i);
		if (n == 16 && !memcmp(dt_compat + i, "linux,dummy-virt", 16)) {
			snprintf(virt, vlen, "qemu-virt");
			snprintf(src, slen, "devicetree");
			return;
		}
		i += n + 1;
	}
}

/* Hypervisor vendor from CPUID leaf 0x40000000 (x86), or nb_arm_virt (arm64); "none" on
 * bare metal. */
static void virt_detect(char *out, size_t len, char *src, size_t slen)
{
	snprintf(out, len, "none");
	snprintf(src, slen, "cpuid");
#if defined(__aarch64__)
	char path[PATH_MAX];
	size_t ci_n = 0, dt_n = 0;
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", nb_fsroot());
	char *ci = nb_read_all(path, 1u << 20, &ci_n);
	snprintf(path, sizeof(path), "%s/proc/device-tree/compatible", nb_fsroot());
	char *dt = nb_read_all(path, 4096, &dt_n);
	if (!dt) {
		snprintf(path, sizeof(path), "%s/sys/firmware/devicetree/base/compatible",
			 nb_fsroot());
		dt = nb_read_all(path, 4096, &dt_n);
	}
	nb_arm_virt(ci, dt, dt ? dt_n : 0, out, len, src, slen);
	free(ci);
	free(dt);
#elif defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 31)))
		return;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	char v[13];
	memcpy(v, &b, 4);
	memcpy(v + 4, &c, 4);
	memcpy(v + 8, &d, 4);
	v[12] = 0;
	const char *name = strstr(v, "KVMKVMKVM")      ? "kvm"
			   : strstr(v, "TCGTCGTCGTCG") ? "qemu-tcg"
			   : strstr(v, "Microsoft Hv") ? "hyperv"
			   : strstr(v, "VMware")       ? "vmware"
			   : strstr(v, "XenVMM")       ? "xen"
						       : "other";
	snprintf(out, len, "%s", name);
#endif
}

void nb_cmdline_accel(const char *cmdline, char *out, size_t len)
{
	static const char key[] = "numabench.accel=";
	out[0] = 0;
	for (const char *p = cmdline; p && *p;) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		/* the last one wins, as for kernel parameters */
		if (n >= sizeof(key) - 1 && !strncmp(p, key, sizeof(key) - 1))
			snprintf(out, len, "%.*s", (int)(n - (sizeof(key) - 1)),
				 p + sizeof(key) - 1);
		p += n;
	}
}

int nb_timing_detect(struct nb_caps *c, const char *env, char *err, size_t errlen)
{
	const char *ca = c->cmdline_accel, *vs = c->virt_source[0] ? c->virt_source : "cpuid";
	if (env && *env && strcmp(env, "0") && strcmp(env, "1")) {
		snprintf(err, errlen, "NUMABENCH_EMULATED=%.40s is not valid (valid: 0, 1)", env);
		return -1;
	}
	/* The CPU we run on first: its hypervisor leaf cannot be stale. */
	if (!strcmp(c->virt, "qemu-tcg")) {
		snprintf(c->accel, sizeof(c->accel), "tcg");
		snprintf(c->timing_source, sizeof(c->timing_source), "%s", vs);
	} else if (!strcmp(c->virt, "kvm")) {
		snprintf(c->accel, sizeof(c->accel), "kvm");
		snprintf(c->timing_source, sizeof(c->timing_source), "%s", vs);
	} else if (!strcmp(ca, "tcg") || !strcmp(ca, "kvm")) {
		/* e.g. a TCG CPU model without the hypervisor bit */
		snprintf(c->accel, sizeof(c->accel), "%s", ca);
		snprintf(c->timing_source, sizeof(c->timing_source), "cmdline");
	} else {
		snprintf(c->accel, sizeof(c->accel), "%s", c->virt[0] ? c->virt : "none");
		snprintf(c->timing_source, sizeof(c->timing_source), "%s", vs);
	}
	/* QEMU's virt board with a real cpu model: KVM, or TCG with -cpu cortex-a72 and the like;
	 * nothing tells them apart, so timings are not trusted as hardware measurements. */
	bool virt_board = !strcmp(c->accel, "qemu-virt");
	c->timing_emulated = !strcmp(c->accel, "tcg") || virt_board;
	const char *how = !strcmp(c->timing_source, "cmdline")
			      ? "kernel command line numabench.accel=tcg"
			  : !strcmp(c->timing_source, "midr")
			      ? "MIDR implementer 0x00 (software), QEMU's emulated cpu"
			      : "CPUID hypervisor vendor TCGTCGTCGTCG";
	if (virt_board)
		snprintf(c->timing_reason, sizeof(c->timing_reason),
			 "QEMU virt board (device tree linux,dummy-virt), accelerator unknown: "
			 "timings treated as emulated (boot with numabench.accel=kvm to say)");
	else if (c->timing_emulated)
		snprintf(c->timing_reason, sizeof(c->timing_reason),
			 "QEMU TCG: timings are emulated, not hardware measurements (%s)", how);
	else if (!strcmp(c->accel, "none"))
		snprintf(c->timing_reason, sizeof(c->timing_reason),
			 "no hypervisor: timings are hardware measurements");
	else
		snprintf(c->timing_reason, sizeof(c->timing_reason),
			 "virtualized (%s), not emulated: timings are hardware measurements "
			 "through the hypervisor",
			 c->accel);
	if (env && *env) {
		bool on = !strcmp(env, "1");
		char was[sizeof(c->timing_reason)];
		snprintf(was, sizeof(was), "%s", c->timing_reason);
		c->timing_emulated = on;
		snprintf(c->timing_source, sizeof(c->timing_source), "NUMABENCH_EMULATED");
		snprintf(c->timing_reason, sizeof(c->timing_reason),
			 "NUMABENCH_EMULATED=%s: timings %s as emulated (detected: %.120s)", env,
			 on ? "treated" : "not treated", was);
	}
	return 0;
}

/* This process's affinity, whole: the mask grows until the kernel's (nr_cpu_ids) fits. */
static struct bitmask *affinity(void)
{
	for (int n = 1024; n <= (1 << 22); n *= 2) {
		cpu_set_t *set = CPU_ALLOC(n);
		size_t size = CPU_ALLOC_SIZE(n);
		if (!set)
			return NULL;
		if (sched_getaffinity(0, size, set) == 0) {
			struct bitmask *b = nb_set_new((unsigned)n);
			for (int i = 0; i < n; i++)
				if (CPU_ISSET_S(i, size, set))
					numa_bitmask_setbit(b, (unsigned)i);
			CPU_FREE(set);
			return b;
		}
		CPU_FREE(set);
		if (errno != EINVAL)
			break;
	}
	return NULL;
}

/* Allowed nodes and cpus: the cgroup's mems and this process's affinity; in a replayed
 * topology, the replay's allowed sets (hwloc). */
static void allowed_sets(struct nb_caps *c, const struct nb_topo *t)
{
	if (t && t->replayed) {
		hwloc_topology_t h = (hwloc_topology_t)t->hwloc;
		c->allowed_cpus = nb_set_from_hwloc(hwloc_topology_get_allowed_cpuset(h));
		c->allowed_nodes = nb_set_from_hwloc(hwloc_topology_get_allowed_nodeset(h));
		return;
	}
	if (numa_available() >= 0)
		c->allowed_nodes = numa_get_mems_allowed();
	c->allowed_cpus = affinity();
}

void nb_caps_probe(struct nb_caps *c, const struct nb_topo *t)
{
	long v;
	memset(c, 0, sizeof(*c));
	c->root = geteuid() == 0;
	c->perf_event_paranoid =
	    nb_read_long("/proc/sys/kernel/perf_event_paranoid", &v) ? -99 : (int)v;
	c->pmu = pmu_present();
	c->debugfs =
	    nb_sys_is_dir("/sys/kernel/debug/sched") || nb_sys_is_dir("/sys/kernel/debug/tracing");
	c->tracefs = nb_sys_is_dir("/sys/kernel/tracing/events") ||
		     nb_sys_is_dir("/sys/kernel/debug/tracing/events");
	thp_mode(c->thp, sizeof(c->thp));
	c->numa_balancing = nb_read_long("/proc/sys/kernel/numa_balancing", &v) ? -1 : (int)v;
	c->ptrace_scope = nb_read_long("/proc/sys/kernel/yama/ptrace_scope", &v) ? -1 : (int)v;
	c->proc_mem_force = probe_proc_mem_force();
	allowed_sets(c, t);
	virt_detect(c->virt, sizeof(c->virt), c->virt_source, sizeof(c->virt_source));
	char cmdline[4096] = "", path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/proc/cmdline", nb_fsroot());
	if (nb_read_file(path, cmdline, sizeof(cmdline)) == 0)
		nb_cmdline_accel(cmdline, c->cmdline_accel, sizeof(c->cmdline_accel));
	char err[128];
	nb_timing_detect(c, NULL, err, sizeof(err)); /* without env: it cannot fail */
	if (t && t->fsroot_replay)
		snprintf(c->replay_note, sizeof(c->replay_note),
			 "read from the replayed tree, but root, pmu, proc_mem_force and "
			 "virtualization: this host's (a capture cannot replay a syscall)");
	else if (t && t->replayed)
		snprintf(c->replay_note, sizeof(c->replay_note),
			 "this host's, not the replayed machine's (an XML or synthetic replay "
			 "carries no capabilities; allowed sets are the replay's)");
}

void nb_caps_free(struct nb_caps *c)
{
	numa_bitmask_free(c->allowed_cpus);
	numa_bitmask_free(c->allowed_nodes);
	c->allowed_cpus = c->allowed_nodes = NULL;
}

json_t *nb_caps_json(const struct nb_caps *c)
{
	json_t *o = json_pack("{s:b,s:i,s:b,s:b,s:b,s:s,s:o,s:o,s:s}", "root", c->root,
			      "perf_event_paranoid", c->perf_event_paranoid, "pmu", c->pmu,
			      "debugfs", c->debugfs, "tracefs", c->tracefs, "thp", c->thp,
			      "allowed_nodes", nb_set_json(c->allowed_nodes), "allowed_cpus",
			      nb_set_json(c->allowed_cpus), "virtualization", c->virt);
	json_object_set_new(o, "numa_balancing", nb_json_count(c->numa_balancing));
	json_object_set_new(o, "proc_mem_force",
			    c->proc_mem_force < 0 ? json_null() : json_boolean(c->proc_mem_force));
	json_object_set_new(o, "ptrace_scope", nb_json_count(c->ptrace_scope));
	if (c->replay_note[0])
		json_object_set_new(o, "replay", json_string(c->replay_note));
	return o;
}
