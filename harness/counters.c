/*
 * numabench: counters. Event names are encoded by libpfm4 (pfm_get_os_event_encoding with
 * PFM_OS_PERF_EVENT_EXT), NUMA tracepoints by their tracefs ids; everything is opened with
 * perf_event_open in groups and read with PERF_FORMAT_GROUP|ID|TOTAL_TIME_ENABLED|RUNNING.
 * Counts are never scaled: a counter that ran less than it was enabled is flagged.
 */
#include "counters.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>

enum kind { K_HW, K_SW, K_TP };
static const char *const kind_names[] = {"hardware", "software", "tracepoint"};

struct counter {
	char event[128];    /* as asked, or what a default role resolved to */
	char role[24];	    /* default role it was resolved from, "" if none */
	char encoding[256]; /* libpfm4 string or tracepoint id; "" when not encodable */
	char pmu[48];	    /* libpfm4 PMU that encoded it */
	char tracefs[96];   /* tracepoints: where the id came from */
	enum kind kind;
	struct perf_event_attr attr;
	bool encoded;
	int err; /* errno of the failure that made it unavailable, 0 if none */
	char reason[160];
	int fd, leader; /* leader: index of the group leader, -1 when not open */
	uint64_t id;
	uint64_t cur_val, cur_ena, cur_run; /* last raw read */
	uint64_t base_val, base_ena, base_run;
	bool read_ok;
};

struct nb_counters {
	struct counter *v;
	int n, cap;
	uint64_t *buf; /* group read buffer */
	size_t buflen;
};

/* ---- tables ---------------------------------------------------------------------------- */

/* Default hardware roles for NUMA work. */
enum { R_CYCLES, R_INSTR, R_LLC, R_DRAM_LOCAL, R_DRAM_REMOTE, R_DTLB, R_N };
static const char *const role_names[R_N] = {"cycles",	  "instructions", "llc-misses",
					    "dram-local", "dram-remote",  "dtlb-misses"};

/*
 * Per CPU model (keyed by the libpfm4 core PMU, which is libpfm4's vendor/family/model
 * detection): what each role resolves to. NULL falls back to the generic perf event below.
 * DRAM roles count demand loads served by local/remote DRAM on both vendors (Intel retired
 * loads by data source; AMD demand data-cache fills by source).
 */
static const struct model {
	const char *pmus; /* space-separated libpfm4 PMU names */
	const char *ev[R_N];
} models[] = {
    {"hsw_ep bdw_ep",
     {NULL, NULL, "LONGEST_LAT_CACHE:MISS", "MEM_LOAD_UOPS_L3_MISS_RETIRED:LOCAL_DRAM",
      "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM", "DTLB_LOAD_MISSES:WALK_COMPLETED"}},
    {"skx clx icx spr",
     {NULL, NULL, "LONGEST_LAT_CACHE:MISS", "MEM_LOAD_L3_MISS_RETIRED:LOCAL_DRAM",
      "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM", "DTLB_LOAD_MISSES:WALK_COMPLETED"}},
    {"amd64_fam17h_zen1",
     {NULL, NULL, NULL, NULL, NULL,
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    {"amd64_fam17h_zen2",
     {NULL, NULL, NULL, "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_LCL_DRAM",
      "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_DRAM",
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    {"amd64_fam19h_zen3",
     {NULL, NULL, NULL, "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_LCL",
      "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:MEM_IO_RMT",
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
    {"amd64_fam19h_zen4",
     {NULL, NULL, NULL, "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_NEAR",
      "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_FAR",
      "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"}},
};
static const char *const generic_ev[R_N] = {"cycles", "instructions", "LLC-load-misses",
					    NULL,     NULL,	      "dTLB-load-misses"};

/* Software events: always in the default set; encoded here when libpfm4's perf PMU is not
 * active (LIBPFM_FORCE_PMU), from include/uapi/linux/perf_event.h. */
static const struct {
	const char *name;
	unsigned config;
} sw_events[] = {
    {"page-faults", PERF_COUNT_SW_PAGE_FAULTS},
    {"minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
    {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
};
#define N_SW (sizeof(sw_events) / sizeof(sw_events[0]))

/* NUMA tracepoints (KERNEL-NOTES.md). Known names stay listed, unavailable, on kernels or
 * hosts that lack them, so a suite's --events works on every kernel it meets. */
static const struct {
	const char *name;
	const char *since;
} numa_tps[] = {
    {"migrate:mm_migrate_pages", NULL}, {"migrate:mm_migrate_pages_start", NULL},
    {"sched:sched_move_numa", NULL},	{"sched:sched_stick_numa", NULL},
    {"sched:sched_swap_numa", NULL},	{"sched:sched_skip_vma_numa", "6.7"},
};
#define N_TP (sizeof(numa_tps) / sizeof(numa_tps[0]))

/* ---- environment ----------------------------------------------------------------------- */

static int paranoid(void)
{
	long v;
	return nb_read_long("/proc/sys/kernel/perf_event_paranoid", &v) ? 2 : (int)v;
}

/* CAP_PERFMON (38) or CAP_SYS_ADMIN (21) in the effective set: what perfmon_capable()
 * checks (include/linux/capability.h). */
static bool perf_capable(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 38 & 1) || (eff >> 21 & 1);
}

/* Kernel-mode counting is allowed to root or with perf_event_paranoid < 2
 * (kernel/events/core.c perf_allow_kernel). */
static bool kernel_allowed(void)
{
	return perf_capable() || paranoid() < 2;
}

/* A core PMU registered with perf: x86 "cpu" (hybrid "cpu_core"/"cpu_atom"), arm "armv8_*". */
static bool hw_pmu_present(void)
{
	char path[512];
	bool found = false;
	snprintf(path, sizeof(path), "%s/sys/bus/event_source/devices", nb_fsroot());
	DIR *d = opendir(path);
	if (!d)
		return false;
	for (struct dirent *e; !found && (e = readdir(d));)
		found = !strcmp(e->d_name, "cpu") || !strncmp(e->d_name, "cpu_", 4) ||
			!strncmp(e->d_name, "armv8", 5);
	closedir(d);
	return found;
}

/* One field of /proc/cpuinfo's first processor ("vendor_id", "model", ...), or "". */
static void cpuinfo_field(const char *key, char *out, size_t len)
{
	char path[512], line[512];
	size_t kl = strlen(key);
	out[0] = 0;
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", nb_fsroot());
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && line[0] != '\n') {
		char *colon = strchr(line, ':');
		if (strncmp(line, key, kl) || !colon || (line[kl] != ' ' && line[kl] != '\t'))
			continue;
		snprintf(out, len, "%s", colon + 1 + (colon[1] == ' '));
		out[strcspn(out, "\n")] = 0;
		break;
	}
	fclose(f);
}

static const char *no_pmu_reason(void)
{
	char flags[4096];
	cpuinfo_field("flags", flags, sizeof(flags));
	if (strstr(flags, " hypervisor") || !strncmp(flags, "hypervisor", 10))
		return "no hardware PMU (VM?)";
	return "no hardware PMU (the kernel registered no core PMU for this CPU)";
}

/* ---- tracefs --------------------------------------------------------------------------- */

struct tracefs {
	char dir[256]; /* directory holding events/, fsroot included */
	char shown[96];
	char tmp[64]; /* our private mount point, "" if we mounted nothing */
	bool ok;
	int err;
	char reason[128];
};

static bool tracefs_at(struct tracefs *t, const char *path)
{
	char ev[320];
	snprintf(t->dir, sizeof(t->dir), "%s%s", nb_fsroot(), path);
	snprintf(ev, sizeof(ev), "%s/events", t->dir);
	if (access(ev, X_OK) == 0)
		return true;
	if (errno == EACCES)
		t->err = EACCES;
	return false;
}

/* Root may mount tracefs privately to read ids, and unmounts it right after: the ids stay
 * valid (kernel/trace/trace_event_perf.c perf_trace_init looks them up in the kernel's own
 * list), and the host's mounts are left as they were. */
static bool tracefs_mount(struct tracefs *t)
{
	snprintf(t->tmp, sizeof(t->tmp), "/tmp/numabench-tracefs-XXXXXX");
	if (!mkdtemp(t->tmp)) {
		t->tmp[0] = 0;
		return false;
	}
	if (mount("nodev", t->tmp, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		snprintf(t->dir, sizeof(t->dir), "%s", t->tmp);
		snprintf(t->shown, sizeof(t->shown),
			 "not mounted: numabench (root) mounted it to read ids, then unmounted it");
		return true;
	}
	int e = errno;
	rmdir(t->tmp);
	t->tmp[0] = 0;
	t->err = e;
	snprintf(t->reason, sizeof(t->reason), "tracefs not mounted; mounting it failed: %s",
		 strerror(e));
	return false;
}

static void tracefs_open(struct tracefs *t)
{
	static const char *const paths[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < 2 && !t->ok; i++)
		if ((t->ok = tracefs_at(t, paths[i])))
			snprintf(t->shown, sizeof(t->shown), "%s", paths[i]);
	if (t->ok)
		return;
	if (t->err == EACCES) {
		snprintf(t->reason, sizeof(t->reason), "tracefs not readable: needs root");
		return;
	}
	t->err = ENOENT;
	snprintf(t->reason, sizeof(t->reason),
		 "tracefs not mounted (as root: mount -t tracefs nodev /sys/kernel/tracing)");
	if (!nb_fsroot()[0] && geteuid() == 0)
		t->ok = tracefs_mount(t);
}

static void tracefs_close(struct tracefs *t)
{
	if (!t->tmp[0])
		return;
	if (umount2(t->tmp, MNT_DETACH) == 0)
		rmdir(t->tmp);
	t->tmp[0] = 0;
}

/* id of tracepoint "sys:name", or -1 (errno ENOENT when the kernel has no such event). */
static long tracefs_id(const struct tracefs *t, const char *tp)
{
	char path[512];
	long id;
	const char *colon = strchr(tp, ':');
	snprintf(path, sizeof(path), "%s/events/%.*s/%s/id", t->dir, (int)(colon - tp), tp,
		 colon + 1);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int ok = fscanf(f, "%ld", &id) == 1;
	fclose(f);
	return ok ? id : -1;
}

/* "system:name" with lowercase identifiers: the tracepoint syntax. */
static bool tp_syntax(const char *s)
{
	int colons = 0;
	if (!*s || *s == ':')
		return false;
	for (; *s; s++) {
		if (*s == ':')
			colons++;
		else if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	}
	return colons == 1 && s[-1] != ':';
}

static int known_tp(const char *name)
{
	for (size_t i = 0; i < N_TP; i++)
		if (!strcmp(name, numa_tps[i].name))
			return (int)i;
	return -1;
}

/* ---- libpfm4 --------------------------------------------------------------------------- */

static int pfm_state = -1; /* -1 not tried, else the pfm_initialize result */

static bool pfm_ready(void)
{
	if (pfm_state == -1)
		pfm_state = pfm_initialize();
	return pfm_state == PFM_SUCCESS;
}

/* Encode with libpfm4 into k; returns a PFM_* code. */
static int pfm_encode(struct counter *k, const char *name)
{
	char *fstr = NULL;
	pfm_perf_encode_arg_t arg;
	pfm_event_info_t ei;
	pfm_pmu_info_t pi;
	if (!pfm_ready())
		return pfm_state;
	memset(&arg, 0, sizeof(arg));
	memset(&k->attr, 0, sizeof(k->attr));
	arg.size = sizeof(arg);
	arg.attr = &k->attr;
	arg.fstr = &fstr;
	int plm = PFM_PLM3 | (kernel_allowed() ? PFM_PLM0 : 0);
	int r = pfm_get_os_event_encoding(name, plm, PFM_OS_PERF_EVENT_EXT, &arg);
	if (r != PFM_SUCCESS)
		return r;
	snprintf(k->encoding, sizeof(k->encoding), "%s", fstr);
	free(fstr);
	memset(&ei, 0, sizeof(ei));
	memset(&pi, 0, sizeof(pi));
	ei.size = sizeof(ei);
	pi.size = sizeof(pi);
	if (pfm_get_event_info(arg.idx, PFM_OS_NONE, &ei) == PFM_SUCCESS &&
	    pfm_get_pmu_info(ei.pmu, &pi) == PFM_SUCCESS)
		snprintf(k->pmu, sizeof(k->pmu), "%s", pi.name);
	k->kind = k->attr.type == PERF_TYPE_SOFTWARE	 ? K_SW
		  : k->attr.type == PERF_TYPE_TRACEPOINT ? K_TP
							 : K_HW;
	k->encoded = true;
	return PFM_SUCCESS;
}

static bool sw_encode(struct counter *k, const char *name)
{
	for (size_t i = 0; i < N_SW; i++) {
		if (strcmp(name, sw_events[i].name))
			continue;
		memset(&k->attr, 0, sizeof(k->attr));
		k->attr.type = PERF_TYPE_SOFTWARE;
		k->attr.config = sw_events[i].config;
		k->attr.exclude_kernel = !kernel_allowed();
		snprintf(k->encoding, sizeof(k->encoding), "software type=%u config=%u%s",
			 PERF_TYPE_SOFTWARE, sw_events[i].config,
			 k->attr.exclude_kernel ? " exclude_kernel" : "");
		k->kind = K_SW;
		k->encoded = true;
		return true;
	}
	return false;
}

/* Does attribute (umask or modifier) `tok` exist for libpfm4 event idx? */
static bool pfm_has_attr(int idx, int nattrs, const char *tok, size_t len)
{
	pfm_event_attr_info_t ai;
	for (int a = 0; a < nattrs; a++) {
		memset(&ai, 0, sizeof(ai));
		ai.size = sizeof(ai);
		if (pfm_get_event_attr_info(idx, a, PFM_OS_NONE, &ai) == PFM_SUCCESS &&
		    strlen(ai.name) == len && !strncasecmp(ai.name, tok, len))
			return true;
	}
	return false;
}

/* Every ':'/'.'-separated token after the event name is an attribute of event idx
 * (tokens "x=v" are checked by name only). */
static bool pfm_attrs_match(int idx, int nattrs, const char *rest)
{
	while (*rest) {
		rest++;
		size_t len = strcspn(rest, ":.");
		size_t name_len = strcspn(rest, "=:.");
		if (!len || !pfm_has_attr(idx, nattrs, rest, name_len))
			return false;
		rest += len;
	}
	return true;
}

static bool pfm_pmu_has(const pfm_pmu_info_t *pi, const char *ev, size_t evlen, const char *rest)
{
	pfm_event_info_t ei;
	for (int e = pi->first_event; e != -1; e = pfm_get_event_next(e)) {
		memset(&ei, 0, sizeof(ei));
		ei.size = sizeof(ei);
		if (pfm_get_event_info(e, PFM_OS_NONE, &ei) != PFM_SUCCESS)
			continue;
		if (strlen(ei.name) == evlen && !strncasecmp(ei.name, ev, evlen) &&
		    pfm_attrs_match(e, ei.nattrs, rest))
			return true;
	}
	return false;
}

/* Search the PMUs libpfm4 knows but did not detect here for "[pmu::]EVENT[:.]UMASK...":
 * a valid name for another CPU is kept as unavailable rather than rejected. */
static bool pfm_find_inactive(const char *name, char *pmu, size_t pmulen, char *desc,
			      size_t desclen)
{
	pfm_pmu_info_t pi;
	const char *sep = strstr(name, "::");
	const char *ev = sep ? sep + 2 : name;
	size_t evlen = strcspn(ev, ":.");
	int i;
	if (!pfm_ready() || !evlen)
		return false;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) != PFM_SUCCESS || pi.is_present)
			continue;
		if (sep && (strlen(pi.name) != (size_t)(sep - name) ||
			    strncasecmp(pi.name, name, sep - name)))
			continue;
		if (pfm_pmu_has(&pi, ev, evlen, ev + evlen)) {
			snprintf(pmu, pmulen, "%s", pi.name);
			snprintf(desc, desclen, "%s", pi.desc ? pi.desc : pi.name);
			return true;
		}
	}
	return false;
}

/* The first libpfm4 core PMU detected here (libpfm4's vendor/family/model detection). */
static const char *pfm_core_pmu(void)
{
	static pfm_pmu_info_t pi;
	int i;
	if (!pfm_ready())
		return NULL;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) == PFM_SUCCESS && pi.is_present &&
		    pi.type == PFM_PMU_TYPE_CORE)
			return pi.name;
	}
	return NULL;
}

static const struct model *model_for(const char *pmu)
{
	size_t len = pmu ? strlen(pmu) : 0;
	for (size_t m = 0; pmu && m < sizeof(models) / sizeof(models[0]); m++)
		for (const char *p = models[m].pmus; *p; p += strspn(p, " ")) {
			size_t w = strcspn(p, " ");
			if (w == len && !strncmp(p, pmu, len))
				return &models[m];
			p += w;
		}
	return NULL;
}

/* ---- building the set ------------------------------------------------------------------ */

struct parse {
	struct nb_counters *c;
	struct tracefs tfs;
	bool tfs_open;
	char *err;
	size_t errlen;
};

/* A new counter; a few hundred bytes each, so running out of memory here ends the run. */
static struct counter *add(struct nb_counters *c, const char *event, enum kind kind)
{
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 32;
		struct counter *v = realloc(c->v, (size_t)cap * sizeof(*v));
		if (!v) {
			nb_err("out of memory for counters");
			exit(NB_EXIT_ENV);
		}
		c->v = v;
		c->cap = cap;
	}
	struct counter *k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->event, sizeof(k->event), "%s", event);
	k->kind = kind;
	k->fd = -1;
	k->leader = -1;
	return k;
}

static void unavailable(struct counter *k, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void unavailable(struct counter *k, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->reason, sizeof(k->reason), fmt, ap);
	va_end(ap);
	k->err = err;
}

static bool have(const struct nb_counters *c, const char *event)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].event, event) || !strcmp(c->v[i].role, event))
			return true;
	return false;
}

static struct tracefs *parse_tracefs(struct parse *p)
{
	if (!p->tfs_open) {
		tracefs_open(&p->tfs);
		p->tfs_open = true;
	}
	return &p->tfs;
}

/* Tracepoint with a resolved id; false when tracefs has no such event. */
static bool add_tp_id(struct parse *p, const char *name)
{
	struct tracefs *t = parse_tracefs(p);
	long id = t->ok ? tracefs_id(t, name) : -1;
	if (id < 0)
		return false;
	struct counter *k = add(p->c, name, K_TP);
	k->attr.type = PERF_TYPE_TRACEPOINT;
	k->attr.config = (uint64_t)id;
	/* exclude_kernel would drop every hit: tracepoints fire in kernel mode
	 * (kernel/events/core.c perf_tp_event_match). */
	k->attr.exclude_kernel = 0;
	snprintf(k->encoding, sizeof(k->encoding), "tracepoint %s id=%ld", name, id);
	snprintf(k->tracefs, sizeof(k->tracefs), "%s", t->shown);
	k->encoded = true;
	return true;
}

/* A tracepoint we cannot resolve: listed unavailable if tracefs is unusable or it is one of
 * the known NUMA tracepoints; an error otherwise. */
static int add_tp_missing(struct parse *p, const char *name)
{
	struct tracefs *t = parse_tracefs(p);
	int known = known_tp(name);
	if (t->ok && known < 0) {
		snprintf(
		    p->err, p->errlen,
		    "unknown tracepoint '%s': tracefs has no such event (see numabench events)",
		    name);
		return -1;
	}
	struct counter *k = add(p->c, name, K_TP);
	if (!t->ok)
		unavailable(k, t->err, "%s", t->reason);
	else if (numa_tps[known].since)
		unavailable(k, ENOENT, "tracepoint not in this kernel (added in %s)",
			    numa_tps[known].since);
	else
		unavailable(k, ENOENT, "tracepoint not in this kernel");
	return 0;
}

static int bad_name(struct parse *p, const char *name, int r)
{
	if (r == PFM_ERR_NOTFOUND)
		snprintf(p->err, p->errlen,
			 "unknown event '%s': not a libpfm4, software or tracepoint event (see "
			 "numabench events)",
			 name);
	else
		snprintf(p->err, p->errlen, "bad event '%s': %s (see numabench events)", name,
			 pfm_strerror(r));
	return -1;
}

/* A hardware event of a CPU other than this one: kept, unavailable, so that one --events
 * list serves every host of a comparison. */
static bool add_other_cpu(struct parse *p, const char *name)
{
	char pmu[48], desc[96];
	if (!pfm_find_inactive(name, pmu, sizeof(pmu), desc, sizeof(desc)))
		return false;
	struct counter *k = add(p->c, name, K_HW);
	bool hw = hw_pmu_present();
	snprintf(k->pmu, sizeof(k->pmu), "%s", pmu);
	unavailable(k, ENOENT, "libpfm4 knows it for PMU %s (%s), which is not present here%s%s",
		    pmu, desc, hw ? "" : ": ", hw ? "" : no_pmu_reason());
	return true;
}

/* A name that is neither a tracepoint in tracefs nor encodable by the active PMUs. */
static int add_unencodable(struct parse *p, const char *name, int r)
{
	bool notfound = r == PFM_ERR_NOTFOUND || !pfm_ready();
	if (r == PFM_ERR_NOTFOUND && add_other_cpu(p, name))
		return 0;
	if (notfound && tp_syntax(name))
		return add_tp_missing(p, name);
	if (!pfm_ready()) {
		snprintf(p->err, p->errlen, "event '%s': libpfm4 failed to initialize: %s", name,
			 pfm_strerror(pfm_state));
		return -1;
	}
	return bad_name(p, name, r);
}

/* One event by name (not a role or "default"). */
static int add_named(struct parse *p, const char *name)
{
	struct counter tmp;
	if (have(p->c, name))
		return 0;
	if (tp_syntax(name) && add_tp_id(p, name))
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	int r = pfm_encode(&tmp, name);
	if (r != PFM_SUCCESS && sw_encode(&tmp, name))
		r = PFM_SUCCESS;
	if (r != PFM_SUCCESS)
		return add_unencodable(p, name, r);
	struct counter *k = add(p->c, name, tmp.kind);
	tmp.fd = tmp.leader = -1;
	snprintf(tmp.event, sizeof(tmp.event), "%s", name);
	*k = tmp;
	return 0;
}

/* A default role: the model's event, else the generic one, recording what it resolved to. */
static void add_role(struct parse *p, int role)
{
	struct counter tmp;
	const char *core = pfm_core_pmu();
	const struct model *m = model_for(core);
	const char *cand[2] = {m ? m->ev[role] : NULL, generic_ev[role]};
	if (have(p->c, role_names[role]))
		return;
	for (int i = 0; i < 2; i++) {
		memset(&tmp, 0, sizeof(tmp));
		if (!cand[i] || pfm_encode(&tmp, cand[i]) != PFM_SUCCESS)
			continue;
		if (have(p->c, cand[i]))
			return;
		struct counter *k = add(p->c, cand[i], tmp.kind);
		snprintf(tmp.event, sizeof(tmp.event), "%s", cand[i]);
		if (strcmp(cand[i], role_names[role]))
			snprintf(tmp.role, sizeof(tmp.role), "%s", role_names[role]);
		tmp.fd = tmp.leader = -1;
		*k = tmp;
		return;
	}
	struct counter *k = add(p->c, role_names[role], K_HW);
	if (!core)
		unavailable(k, ENOENT, "%s",
			    hw_pmu_present() ? "libpfm4 does not know this CPU's PMU"
					     : no_pmu_reason());
	else
		unavailable(k, ENOENT, "no %s event known for PMU %s", role_names[role], core);
}

static int role_index(const char *name)
{
	for (int r = 0; r < R_N; r++)
		if (!strcmp(name, role_names[r]))
			return r;
	return -1;
}

static void add_defaults(struct parse *p)
{
	for (int r = 0; r < R_N; r++)
		add_role(p, r);
	for (size_t i = 0; i < N_SW; i++)
		add_named(p, sw_events[i].name);
	for (size_t i = 0; i < N_TP; i++)
		if (!have(p->c, numa_tps[i].name) && !add_tp_id(p, numa_tps[i].name))
			add_tp_missing(p, numa_tps[i].name);
}

static int add_token(struct parse *p, const char *name)
{
	int role = role_index(name);
	if (!strcmp(name, "default"))
		add_defaults(p);
	else if (role >= 0)
		add_role(p, role);
	else
		return add_named(p, name);
	return 0;
}

/* Split on commas, trimming blanks; empty items are errors. */
static int parse_list(struct parse *p, const char *events)
{
	const char *s = events;
	for (;;) {
		char name[128];
		size_t len = strcspn(s, ",");
		const char *a = s, *b = s + len;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b || (size_t)(b - a) >= sizeof(name)) {
			snprintf(p->err, p->errlen, "%s in event list '%s' (see numabench events)",
				 a == b ? "empty event name" : "event name too long", events);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(b - a), a);
		if (add_token(p, name))
			return -1;
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

struct nb_counters *nb_counters_new(const char *events, char *err, size_t errlen)
{
	char dummy[8];
	struct parse p = {.err = err ? err : dummy, .errlen = err ? errlen : sizeof(dummy)};
	p.err[0] = 0;
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c) {
		snprintf(p.err, p.errlen, "out of memory");
		return NULL;
	}
	int r = 0;
	if (!events || !*events)
		add_defaults(&p);
	else
		r = parse_list(&p, events);
	if (p.tfs_open)
		tracefs_close(&p.tfs);
	if (r) {
		nb_counters_free(p.c);
		return NULL;
	}
	return p.c;
}

/* ---- opening --------------------------------------------------------------------------- */

static int perf_open(struct perf_event_attr *a, pid_t tid, int cpu, int group)
{
	return (int)syscall(SYS_perf_event_open, a, tid, cpu, group, PERF_FLAG_FD_CLOEXEC);
}

static void perm_reason(struct counter *k, int e, pid_t tid)
{
	int par = paranoid();
	bool cap = perf_capable();
	if (par >= 3 && !cap)
		unavailable(k, e, "perf_event_paranoid=%d denies non-root", par);
	else if (tid == -1 && !cap)
		unavailable(k, e, "perf_event_paranoid=%d denies system-wide counting to non-root",
			    par);
	else if (k->kind == K_TP && !cap)
		unavailable(k, e,
			    "perf_event_paranoid=%d denies kernel-mode counting (tracepoints) to "
			    "non-root",
			    par);
	else if (tid > 0)
		unavailable(k, e, "no ptrace access to thread %d", (int)tid);
	else
		unavailable(k, e,
			    "permission denied (needs CAP_PERFMON or a lower "
			    "perf_event_paranoid, now %d)",
			    par);
}

static void open_reason(struct counter *k, int e, pid_t tid)
{
	switch (e) {
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		if (k->kind == K_HW && !hw_pmu_present())
			unavailable(k, e, "%s", no_pmu_reason());
		else
			unavailable(k, e, "not supported by this %s",
				    k->kind == K_HW ? "PMU" : "kernel");
		break;
	case EACCES:
	case EPERM:
		perm_reason(k, e, tid);
		break;
	case EBUSY:
		unavailable(k, e, "counter busy (another tool or the NMI watchdog holds it)");
		break;
	case EMFILE:
	case ENFILE:
		unavailable(k, e, "too many open files");
		break;
	case ESRCH:
		unavailable(k, e, "no such thread %d", (int)tid);
		break;
	case ENOSYS:
		unavailable(k, e, "kernel built without perf events");
		break;
	default:
		unavailable(k, e, "perf_event_open: %s", strerror(e));
	}
}

static void close_all(struct nb_counters *c)
{
	for (int i = 0; i < c->n; i++) {
		struct counter *k = &c->v[i];
		if (k->fd >= 0)
			close(k->fd);
		k->fd = k->leader = -1;
		k->read_ok = false;
		if (k->encoded) {
			k->err = 0;
			k->reason[0] = 0;
		}
	}
}

/* Open k into the group led by *leader (or as a new leader); a hardware event that does not
 * fit the group's counters (EINVAL from the PMU's group validation) gets its own group. */
static void open_one(struct nb_counters *c, int i, int *leader, pid_t tid, int cpu, bool inherit)
{
	struct counter *k = &c->v[i];
	struct perf_event_attr a = k->attr;
	a.size = sizeof(a);
	a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |
			PERF_FORMAT_TOTAL_TIME_RUNNING;
	a.inherit = inherit;
	a.disabled = *leader < 0;
	int gfd = *leader < 0 ? -1 : c->v[*leader].fd;
	int fd = perf_open(&a, tid, cpu, gfd);
	if (fd < 0 && errno == EINVAL && gfd >= 0 && k->kind == K_HW) {
		a.disabled = 1;
		fd = perf_open(&a, tid, cpu, -1);
		if (fd >= 0)
			*leader = -1;
	}
	if (fd < 0) {
		open_reason(k, errno, tid);
		return;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &k->id) < 0) {
		open_reason(k, errno, tid);
		close(fd);
		return;
	}
	k->fd = fd;
	if (*leader < 0)
		*leader = i;
	k->leader = *leader;
}

int nb_counters_open(struct nb_counters *c, pid_t tid, int cpu, bool inherit)
{
	if (!c || tid < -1 || cpu < -1 || (tid == -1 && cpu < 0))
		return -1;
	close_all(c);
	/* inherit only acts on task contexts, copied at fork (kernel/events/core.c
	 * perf_event_init_task); a per-cpu event has none. */
	inherit = inherit && tid != -1;
	int hw = -1, sw = -1, avail = 0;
	for (int i = 0; i < c->n; i++)
		if (c->v[i].encoded)
			open_one(c, i, c->v[i].kind == K_HW ? &hw : &sw, tid, cpu, inherit);
	for (int i = 0; i < c->n; i++)
		avail += c->v[i].fd >= 0;
	free(c->buf);
	c->buflen = (3 + 2 * (size_t)c->n) * sizeof(uint64_t);
	c->buf = malloc(c->buflen);
	return c->buf ? avail : -1;
}

/* ---- reading --------------------------------------------------------------------------- */

static struct counter *by_id(struct nb_counters *c, int leader, uint64_t id)
{
	for (int i = leader; i < c->n; i++)
		if (c->v[i].leader == leader && c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

/* Group read layout: { nr, time_enabled, time_running, { value, id }[nr] }
 * (include/uapi/linux/perf_event.h, read_format). With inherit the kernel sums the
 * children's counts and times (kernel/events/core.c perf_read_group). */
static int read_group(struct nb_counters *c, int leader)
{
	uint64_t *b = c->buf;
	ssize_t n = read(c->v[leader].fd, b, c->buflen);
	if (n >= 0 && n < (ssize_t)(3 * sizeof(uint64_t)))
		errno = EIO;
	if (n < (ssize_t)(3 * sizeof(uint64_t)))
		return -1;
	for (uint64_t j = 0; j < b[0] && (3 + 2 * j + 2) * sizeof(uint64_t) <= (size_t)n; j++) {
		struct counter *k = by_id(c, leader, b[4 + 2 * j]);
		if (!k)
			continue;
		k->cur_val = b[3 + 2 * j];
		k->cur_ena = b[1];
		k->cur_run = b[2];
		k->read_ok = true;
	}
	return 0;
}

static void group_failed(struct nb_counters *c, int leader, int e)
{
	for (int i = leader; i < c->n; i++)
		if (c->v[i].leader == leader)
			unavailable(&c->v[i], e, "read failed: %s", strerror(e));
}

static int read_all(struct nb_counters *c)
{
	int r = 0;
	for (int i = 0; c->buf && i < c->n; i++)
		if (c->v[i].leader == i && read_group(c, i)) {
			group_failed(c, i, errno);
			r = -1;
		}
	return r;
}

static void ioctl_leaders(struct nb_counters *c, unsigned long req)
{
	for (int i = 0; i < c->n; i++)
		if (c->v[i].leader == i)
			ioctl(c->v[i].fd, req, PERF_IOC_FLAG_GROUP);
}

/* RESET zeroes counts but neither the enabled/running times nor counts folded in from
 * exited inherited children (kernel/events/core.c _perf_event_reset, perf_event_count):
 * the values reported are differences against a read taken here. */
void nb_counters_start(struct nb_counters *c)
{
	if (!c)
		return;
	ioctl_leaders(c, PERF_EVENT_IOC_RESET);
	read_all(c);
	for (int i = 0; i < c->n; i++) {
		struct counter *k = &c->v[i];
		k->base_val = k->cur_val;
		k->base_ena = k->cur_ena;
		k->base_run = k->cur_run;
	}
	ioctl_leaders(c, PERF_EVENT_IOC_ENABLE);
}

void nb_counters_stop(struct nb_counters *c)
{
	if (!c)
		return;
	ioctl_leaders(c, PERF_EVENT_IOC_DISABLE);
	read_all(c);
}

int nb_counters_read(struct nb_counters *c)
{
	return c ? read_all(c) : -1;
}

/* ---- results --------------------------------------------------------------------------- */

static bool usable(const struct counter *k)
{
	return k->fd >= 0 && k->read_ok && !k->err;
}

static uint64_t val(const struct counter *k)
{
	return k->cur_val - k->base_val;
}
static uint64_t ena(const struct counter *k)
{
	return k->cur_ena - k->base_ena;
}
static uint64_t run(const struct counter *k)
{
	return k->cur_run - k->base_run;
}

static void json_unavailable(json_t *o, const struct counter *k)
{
	const char *name = k->err ? strerrorname_np(k->err) : NULL;
	json_object_set_new(o, "reason",
			    json_string(k->reason[0] ? k->reason
					: k->fd >= 0 ? "not read yet"
						     : "not opened"));
	if (name)
		json_object_set_new(o, "errno", json_string(name));
}

static json_t *counter_json(const struct nb_counters *c, const struct counter *k)
{
	bool ok = usable(k);
	json_t *o = json_object();
	json_object_set_new(o, "event", json_string(k->event));
	json_object_set_new(o, "kind", json_string(kind_names[k->kind]));
	json_object_set_new(o, "encoding", k->encoded ? json_string(k->encoding) : json_null());
	json_object_set_new(o, "available", json_boolean(ok));
	json_object_set_new(o, "value", ok ? json_integer((json_int_t)val(k)) : json_null());
	json_object_set_new(o, "time_enabled", json_integer(ok ? (json_int_t)ena(k) : 0));
	json_object_set_new(o, "time_running", json_integer(ok ? (json_int_t)run(k) : 0));
	json_object_set_new(o, "multiplexed", json_boolean(ok && run(k) < ena(k)));
	if (k->role[0])
		json_object_set_new(o, "resolved_from", json_string(k->role));
	if (k->pmu[0])
		json_object_set_new(o, "pmu", json_string(k->pmu));
	if (k->tracefs[0])
		json_object_set_new(o, "tracefs", json_string(k->tracefs));
	if (k->fd >= 0 && k->leader >= 0)
		json_object_set_new(o, "group", json_string(c->v[k->leader].event));
	if (!ok)
		json_unavailable(o, k);
	return o;
}

json_t *nb_counters_json(const struct nb_counters *c)
{
	json_t *a = json_array();
	for (int i = 0; c && i < c->n; i++)
		json_array_append_new(a, counter_json(c, &c->v[i]));
	return a;
}

bool nb_counters_untrustworthy(const struct nb_counters *c, double min_running_ratio, char *why,
			       size_t len)
{
	for (int i = 0; c && i < c->n; i++) {
		const struct counter *k = &c->v[i];
		if (!usable(k) || !ena(k))
			continue;
		double ratio = (double)run(k) / (double)ena(k);
		if (ratio < min_running_ratio) {
			if (why && len)
				snprintf(
				    why, len,
				    "counter %s ran %.1f%% of its enabled time (multiplexed or not "
				    "schedulable; counts are not scaled)",
				    k->event, 100.0 * ratio);
			return true;
		}
	}
	return false;
}

int64_t nb_counters_value(const struct nb_counters *c, const char *event)
{
	for (int i = 0; c && event && i < c->n; i++) {
		const struct counter *k = &c->v[i];
		if (strcmp(k->event, event) && strcmp(k->role, event))
			continue;
		return usable(k) ? (int64_t)val(k) : -1;
	}
	return -1;
}

int nb_counters_count(const struct nb_counters *c)
{
	return c ? c->n : 0;
}

int nb_counters_available(const struct nb_counters *c)
{
	int n = 0;
	for (int i = 0; c && i < c->n; i++)
		n += c->v[i].fd >= 0;
	return n;
}

void nb_counters_free(struct nb_counters *c)
{
	if (!c)
		return;
	close_all(c);
	free(c->v);
	free(c->buf);
	free(c);
}

/* ---- numabench events ------------------------------------------------------------------ */

/* Unit masks of libpfm4 event "pmu::EVENT" (attributes after the event are ignored). */
static json_t *pfm_umasks(const char *name)
{
	char ev[160];
	pfm_event_info_t ei;
	pfm_event_attr_info_t ai;
	json_t *a = json_array();
	const char *sep = strstr(name, "::");
	const char *rest = sep ? sep + 2 : name;
	snprintf(ev, sizeof(ev), "%.*s", (int)(rest - name + strcspn(rest, ":")), name);
	int idx = pfm_ready() ? pfm_find_event(ev) : -1;
	memset(&ei, 0, sizeof(ei));
	ei.size = sizeof(ei);
	if (idx < 0 || pfm_get_event_info(idx, PFM_OS_NONE, &ei) != PFM_SUCCESS)
		return a;
	for (int i = 0; i < ei.nattrs; i++) {
		memset(&ai, 0, sizeof(ai));
		ai.size = sizeof(ai);
		if (pfm_get_event_attr_info(idx, i, PFM_OS_NONE, &ai) == PFM_SUCCESS &&
		    ai.type == PFM_ATTR_UMASK)
			json_array_append_new(a, json_string(ai.name));
	}
	return a;
}

/* Every event of the active core and OS-generic PMUs (uncore PMUs need system-wide counting
 * and are left out), appended to the set as "pmu::EVENT". */
static void add_all_pmu_events(struct nb_counters *c)
{
	char err[256], name[160];
	pfm_pmu_info_t pi;
	pfm_event_info_t ei;
	int i;
	struct parse p = {.c = c, .err = err, .errlen = sizeof(err)};
	if (!pfm_ready())
		return;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) != PFM_SUCCESS || !pi.is_present ||
		    (pi.type != PFM_PMU_TYPE_CORE && pi.type != PFM_PMU_TYPE_OS_GENERIC) ||
		    !strcmp(pi.name, "perf_raw"))
			continue;
		for (int e = pi.first_event; e != -1; e = pfm_get_event_next(e)) {
			memset(&ei, 0, sizeof(ei));
			ei.size = sizeof(ei);
			if (pfm_get_event_info(e, PFM_OS_NONE, &ei) != PFM_SUCCESS)
				continue;
			snprintf(name, sizeof(name), "%s::%s", pi.name, ei.name);
			if (add_named(&p, name) == 0)
				continue;
			/* No default unit mask: list it with its first one. */
			json_t *um = pfm_umasks(name);
			if (json_array_size(um)) {
				snprintf(name, sizeof(name), "%s::%s:%s", pi.name, ei.name,
					 json_string_value(json_array_get(um, 0)));
				add_named(&p, name);
			}
			json_decref(um);
		}
	}
}

static json_t *cpu_json(void)
{
	static const char *const keys[][2] = {{"vendor_id", "vendor"},
					      {"cpu family", "family"},
					      {"model", "model"},
					      {"model name", "model_name"}};
	char buf[256];
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cpuinfo_field(keys[i][0], buf, sizeof(buf));
		json_object_set_new(o, keys[i][1], json_string(buf));
	}
	const char *core = pfm_core_pmu();
	json_object_set_new(o, "libpfm4_core_pmu", core ? json_string(core) : json_null());
	if (nb_read_file("/sys/bus/event_source/devices/cpu/caps/pmu_name", buf, sizeof(buf)) == 0)
		json_object_set_new(o, "perf_pmu_name", json_string(buf));
	return o;
}

static json_t *pmus_json(void)
{
	pfm_pmu_info_t pi;
	json_t *a = json_array();
	int i;
	if (!pfm_ready())
		return a;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) != PFM_SUCCESS || !pi.is_present)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(pi.name));
		json_object_set_new(o, "desc", json_string(pi.desc ? pi.desc : ""));
		json_object_set_new(o, "events", json_integer(pi.nevents));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *tracefs_json(void)
{
	struct tracefs t;
	json_t *o = json_object();
	tracefs_open(&t);
	json_object_set_new(o, "available", json_boolean(t.ok));
	if (t.ok)
		json_object_set_new(o, "path", json_string(t.shown));
	else
		json_object_set_new(o, "reason", json_string(t.reason));
	json_object_set_new(o, "mounted_by_numabench", json_boolean(t.tmp[0] != 0));
	tracefs_close(&t);
	return o;
}

/* The listing entry of one counter: name, kind, available, reason/errno, how it encodes. */
static json_t *listing_entry(json_t *k, bool all)
{
	static const char *const keep[] = {"kind",     "available",	"reason", "errno",
					   "encoding", "resolved_from", "pmu",	  "tracefs"};
	json_t *o = json_object();
	json_object_set(o, "name", json_object_get(k, "event"));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_get(k, keep[i]))
			json_object_set(o, keep[i], json_object_get(k, keep[i]));
	const char *kind = json_string_value(json_object_get(k, "kind"));
	if (all && !strcmp(kind, "hardware"))
		json_object_set_new(o, "umasks",
				    pfm_umasks(json_string_value(json_object_get(k, "event"))));
	return o;
}

static json_t *events_doc(struct nb_counters *c, bool all)
{
	json_t *doc = json_object(), *ev = json_array();
	nb_counters_open(c, 0, -1, false);
	nb_counters_start(c);
	nb_counters_stop(c);
	json_t *list = nb_counters_json(c);
	for (size_t i = 0; i < json_array_size(list); i++)
		json_array_append_new(ev, listing_entry(json_array_get(list, i), all));
	json_decref(list);
	json_object_set_new(doc, "cpu", cpu_json());
	json_object_set_new(doc, "libpfm4_pmus", pmus_json());
	json_object_set_new(doc, "hardware_pmu", json_boolean(hw_pmu_present()));
	json_object_set_new(doc, "perf_event_paranoid", json_integer(paranoid()));
	json_object_set_new(doc, "perf_capable", json_boolean(perf_capable()));
	json_object_set_new(doc, "tracefs", tracefs_json());
	json_object_set_new(doc, "events", ev);
	return doc;
}

static void print_header(json_t *doc)
{
	json_t *cpu = json_object_get(doc, "cpu"), *pmus = json_object_get(doc, "libpfm4_pmus");
	json_t *tfs = json_object_get(doc, "tracefs");
	printf("cpu: %s family %s model %s (%s); libpfm4 PMUs here:",
	       json_string_value(json_object_get(cpu, "vendor")),
	       json_string_value(json_object_get(cpu, "family")),
	       json_string_value(json_object_get(cpu, "model")),
	       json_string_value(json_object_get(cpu, "model_name")));
	for (size_t i = 0; i < json_array_size(pmus); i++)
		printf(" %s", json_string_value(json_object_get(json_array_get(pmus, i), "name")));
	printf("\nhardware PMU: %s; perf_event_paranoid=%lld; CAP_PERFMON: %s; tracefs: %s\n",
	       json_is_true(json_object_get(doc, "hardware_pmu")) ? "yes" : "no",
	       (long long)json_integer_value(json_object_get(doc, "perf_event_paranoid")),
	       json_is_true(json_object_get(doc, "perf_capable")) ? "yes" : "no",
	       json_is_true(json_object_get(tfs, "available"))
		   ? json_string_value(json_object_get(tfs, "path"))
		   : json_string_value(json_object_get(tfs, "reason")));
}

static void print_text(json_t *doc)
{
	json_t *ev = json_object_get(doc, "events");
	print_header(doc);
	printf("%-10s  %-9s  %-40s  %s\n", "KIND", "AVAILABLE", "EVENT", "ENCODING / REASON");
	for (size_t i = 0; i < json_array_size(ev); i++) {
		json_t *e = json_array_get(ev, i);
		bool ok = json_is_true(json_object_get(e, "available"));
		const char *role = json_string_value(json_object_get(e, "resolved_from"));
		const char *err = json_string_value(json_object_get(e, "errno"));
		char name[200];
		snprintf(name, sizeof(name), "%s%s%s%s",
			 json_string_value(json_object_get(e, "name")), role ? " (" : "",
			 role ? role : "", role ? ")" : "");
		printf("%-10s  %-9s  %-40s  %s%s%s\n",
		       json_string_value(json_object_get(e, "kind")), ok ? "yes" : "no", name,
		       ok || !err ? "" : err, ok || !err ? "" : ": ",
		       json_string_value(json_object_get(e, ok ? "encoding" : "reason")));
	}
}

static int events_usage(FILE *f, int code)
{
	fprintf(f, "usage: numabench events [--json] [--all] [EVENT,...]\n"
		   "  Lists the counter events usable here: the default set (hardware roles for\n"
		   "  this CPU, software events, NUMA tracepoints), or the events named.\n"
		   "  --all   also every event of the core PMUs libpfm4 detected here (uncore\n"
		   "          PMUs need system-wide counting and are not listed)\n"
		   "  --json  machine-readable output\n");
	return code;
}

int nb_cmd_events(int argc, char **argv)
{
	bool json = false, all = false;
	char list[4096] = "", err[512];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return events_usage(stdout, NB_EXIT_OK);
		else if (argv[i][0] == '-') {
			nb_err("events: unknown option '%s' (see numabench events --help)",
			       argv[i]);
			return NB_EXIT_USAGE;
		} else {
			size_t n = strlen(list);
			snprintf(list + n, sizeof(list) - n, "%s%s", n ? "," : "", argv[i]);
		}
	}
	struct nb_counters *c = nb_counters_new(list, err, sizeof(err));
	if (!c) {
		nb_err("%s", err);
		return NB_EXIT_USAGE;
	}
	if (all)
		add_all_pmu_events(c);
	json_t *doc = events_doc(c, all);
	if (json)
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		print_text(doc);
	if (json)
		fputc('\n', stdout);
	json_decref(doc);
	nb_counters_free(c);
	return NB_EXIT_OK;
}
