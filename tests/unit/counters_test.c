/* Unit tests for harness/counters/ (and the events listing): event-list parsing, bad names, default
 * sets, tracepoint resolution from a replayed tracefs tree, JSON shape, and real software counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "counters.h"
#include "counters/counters_int.h"

#include <perfmon/pfmlib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *entry(json_t *list, const char *event)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		if (!strcmp(json_string_value(json_object_get(e, "event")), event))
			return e;
	}
	return NULL;
}

static size_t count_kind(json_t *list, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(list); i++)
		n += !strcmp(json_string_value(json_object_get(json_array_get(list, i), "kind")),
			     kind);
	return n;
}

/* Parse `events`, expect success, return the JSON list (caller frees). */
static json_t *parse_ok(const char *events, int expect_n)
{
	char err[256] = "x";
	struct nb_counters *c = nb_counters_new(events, err, sizeof(err));
	if (!c)
		fail_msg("'%s' rejected: %s", events, err);
	assert_string_equal(err, "");
	assert_int_equal(nb_counters_count(c), expect_n);
	json_t *j = nb_counters_json(c);
	nb_counters_free(c);
	return j;
}

/* Parse `events`, expect a one-line error naming `name`. */
static void parse_bad(const char *events, const char *name)
{
	char err[256] = "";
	assert_null(nb_counters_new(events, err, sizeof(err)));
	assert_non_null(strstr(err, name));
	assert_non_null(strstr(err, "numabench events"));
	assert_null(strchr(err, '\n'));
}

static void test_default_set(void **state)
{
	(void)state;
	const char *forms[] = {NULL, "", "default"};
	for (int f = 0; f < 3; f++) {
		json_t *j = parse_ok(forms[f], 17);
		assert_int_equal(count_kind(j, "hardware"), 6);
		assert_int_equal(count_kind(j, "software"), 5);
		assert_int_equal(count_kind(j, "tracepoint"), 6);
		assert_non_null(entry(j, "page-faults"));
		assert_non_null(entry(j, "context-switches"));
		assert_non_null(entry(j, "migrate:mm_migrate_pages"));
		assert_non_null(entry(j, "sched:sched_skip_vma_numa"));
		json_decref(j);
	}
}

static void test_list_trimmed_and_deduplicated(void **state)
{
	(void)state;
	json_t *j = parse_ok(" cycles , instructions,page-faults,page-faults ", 3);
	assert_string_equal(json_string_value(json_object_get(entry(j, "cycles"), "kind")),
			    "hardware");
	assert_string_equal(json_string_value(json_object_get(entry(j, "page-faults"), "kind")),
			    "software");
	json_decref(j);
	/* "default" plus an event already in it adds nothing. */
	j = parse_ok("default,page-faults,cycles", 17);
	json_decref(j);
}

static void test_bad_names(void **state)
{
	(void)state;
	parse_bad("cycles,no_such_event_xyz", "no_such_event_xyz");
	parse_bad("cycles,,page-faults", "empty event name");
	parse_bad("cycles,", "empty event name");
	parse_bad("MEM_LOAD_L3_MISS_RETIRED.NO_SUCH_UMASK",
		  "MEM_LOAD_L3_MISS_RETIRED.NO_SUCH_UMASK");
	parse_bad("Page-Faults:x:y:z", "Page-Faults:x:y:z");
}

/* A valid name for some CPU is kept (unavailable where its PMU is absent), never rejected. */
static void test_vendor_names_kept(void **state)
{
	(void)state;
	json_t *j = parse_ok("MEM_LOAD_L3_MISS_RETIRED.REMOTE_DRAM,"
			     "amd64_fam19h_zen4::L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS",
			     2);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(j, i), "kind")), "hardware");
	json_decref(j);
}

static void test_roles(void **state)
{
	(void)state;
	char err[256];
	struct nb_counters *c = nb_counters_new("dram-remote,llc-misses", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(nb_counters_count(c), 2);
	/* Not opened: unavailable by event and by role name. */
	assert_int_equal(nb_counters_value(c, "dram-remote"), -1);
	assert_int_equal(nb_counters_value(c, "llc-misses"), -1);
	assert_int_equal(nb_counters_value(c, "nope"), -1);
	json_t *j = nb_counters_json(c);
	json_t *e = json_array_get(j, 1);
	/* llc-misses resolves to a concrete event (when libpfm4 can encode one) and says so. */
	if (json_string_value(json_object_get(e, "resolved_from")))
		assert_string_equal(json_string_value(json_object_get(e, "resolved_from")),
				    "llc-misses");
	json_decref(j);
	nb_counters_free(c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Replay a tracefs tree through NUMABENCH_FSROOT. */
static void test_tracepoints_from_tree(void **state)
{
	(void)state;
	char root[] = "/tmp/nb-counters-test-XXXXXX", path[512];
	assert_non_null(mkdtemp(root));
	const char *dirs[] = {"/sys",
			      "/sys/kernel",
			      "/sys/kernel/tracing",
			      "/sys/kernel/tracing/events",
			      "/sys/kernel/tracing/events/migrate",
			      "/sys/kernel/tracing/events/migrate/mm_migrate_pages",
			      "/sys/kernel/tracing/events/sched"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/sys/kernel/tracing/events/migrate/mm_migrate_pages/id",
		 root);
	write_file(path, "4242\n");
	setenv("NUMABENCH_FSROOT", root, 1);

	json_t *j = parse_ok("migrate:mm_migrate_pages,sched:sched_skip_vma_numa", 2);
	json_t *e = entry(j, "migrate:mm_migrate_pages");
	assert_non_null(strstr(json_string_value(json_object_get(e, "encoding")), "id=4242"));
	assert_string_equal(json_string_value(json_object_get(e, "kind")), "tracepoint");
	e = entry(j, "sched:sched_skip_vma_numa");
	assert_false(json_is_true(json_object_get(e, "available")));
	assert_non_null(
	    strstr(json_string_value(json_object_get(e, "reason")), "not in this kernel"));
	json_decref(j);
	parse_bad("sched:no_such_tracepoint", "sched:no_such_tracepoint");

	/* Without tracefs: tracepoints stay listed as unavailable, with the reason. */
	snprintf(path, sizeof(path), "%s/sys/kernel/tracing/events/migrate/mm_migrate_pages/id",
		 root);
	unlink(path);
	for (size_t i = sizeof(dirs) / sizeof(dirs[0]); i-- > 2;) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		rmdir(path);
	}
	j = parse_ok("migrate:mm_migrate_pages,foo:bar", 2);
	e = entry(j, "foo:bar");
	assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), "tracefs"));
	json_decref(j);
	unsetenv("NUMABENCH_FSROOT");
	for (size_t i = 2; i-- > 0;) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		rmdir(path);
	}
	rmdir(root);
}

static void test_json_shape(void **state)
{
	(void)state;
	static const char *const keys[] = {"event",	   "encoding",	   "value",
					   "time_enabled", "time_running", "multiplexed",
					   "available",	   "kind"};
	struct nb_counters *c = nb_counters_new(NULL, NULL, 0);
	assert_non_null(c);
	nb_counters_open(c, 0, -1, false);
	nb_counters_start(c);
	nb_counters_stop(c);
	json_t *j = nb_counters_json(c);
	for (size_t i = 0; i < json_array_size(j); i++) {
		json_t *e = json_array_get(j, i);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			assert_non_null(json_object_get(e, keys[k]));
		if (json_is_true(json_object_get(e, "available"))) {
			assert_true(json_is_integer(json_object_get(e, "value")));
		} else {
			assert_true(json_is_null(json_object_get(e, "value")));
			assert_true(json_string_length(json_object_get(e, "reason")) > 0);
		}
	}
	json_decref(j);
	nb_counters_free(c);
}

/* Not instrumented: ASan shadow accesses would fault shadow pages into the count. */
__attribute__((no_sanitize_address)) static void touch_pages(size_t n)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	madvise(p, n * ps, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < n; i++)
		((volatile char *)p)[i * ps] = 1;
	munmap(p, n * ps);
}

static void test_page_faults_count(void **state)
{
	(void)state;
	char why[256];
	struct nb_counters *c = nb_counters_new("page-faults,minor-faults", NULL, 0);
	assert_non_null(c);
	if (nb_counters_open(c, 0, -1, false) < 2) {
		nb_counters_free(c);
		skip();
	}
	for (int round = 0; round < 2; round++) { /* start resets: a second round counts anew */
		nb_counters_start(c);
		touch_pages(1000);
		nb_counters_stop(c);
		int64_t pf = nb_counters_value(c, "page-faults");
		assert_in_range(pf, 1000, 1016);
		assert_in_range(nb_counters_value(c, "minor-faults"), 1000, 1016);
	}
	assert_false(nb_counters_untrustworthy(c, NULL, NB_COUNTERS_MIN_RUNNING, why, sizeof(why)));
	nb_counters_free(c);
}

/* A per-task counter bound to cpu 0 while the task runs on cpu 1 is enabled but never runs
 * (kernel/events/core.c event_filter_match): the run must be flagged, not scaled. */
static void test_untrustworthy_when_not_running(void **state)
{
	(void)state;
	cpu_set_t old, one;
	char why[256] = "";
	if (sched_getaffinity(0, sizeof(old), &old) || !CPU_ISSET(0, &old) || !CPU_ISSET(1, &old))
		skip();
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	struct nb_counters *c = nb_counters_new("page-faults", NULL, 0);
	int opened = nb_counters_open(c, 0, 0, false);
	nb_counters_start(c);
	touch_pages(100);
	nb_counters_stop(c);
	sched_setaffinity(0, sizeof(old), &old);
	if (opened < 1) {
		nb_counters_free(c);
		skip();
	}
	assert_true(nb_counters_untrustworthy(c, NULL, NB_COUNTERS_MIN_RUNNING, why, sizeof(why)));
	assert_non_null(strstr(why, "page-faults"));
	/* Only a verdict that uses the counter is affected by it. */
	assert_true(
	    nb_counters_untrustworthy(c, "cycles,page-faults", NB_COUNTERS_MIN_RUNNING, NULL, 0));
	assert_false(nb_counters_untrustworthy(c, "dram-local,dram-remote", NB_COUNTERS_MIN_RUNNING,
					       NULL, 0));
	assert_false(nb_counters_untrustworthy(c, "page-fault", NB_COUNTERS_MIN_RUNNING, NULL, 0));
	json_t *j = nb_counters_json(c);
	assert_true(json_is_true(json_object_get(json_array_get(j, 0), "multiplexed")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "value")), 0);
	assert_true(json_real_value(json_object_get(json_array_get(j, 0), "running_fraction")) <
		    NB_COUNTERS_MIN_RUNNING);
	json_decref(j);
	nb_counters_free(c);
}

static void test_open_arguments(void **state)
{
	(void)state;
	struct nb_counters *c = nb_counters_new("page-faults", NULL, 0);
	assert_int_equal(nb_counters_open(c, -1, -1, false), -1); /* system-wide needs a cpu */
	assert_int_equal(nb_counters_open(c, -2, 0, false), -1);
	nb_counters_free(c);
}

static void test_cmd_events_exit_codes(void **state)
{
	(void)state;
	char *bad[] = {"events", "cycles,no_such_event_xyz", NULL};
	char *opt[] = {"events", "--no-such-option", NULL};
	assert_int_equal(nb_cmd_events(2, bad), NB_EXIT_USAGE);
	assert_int_equal(nb_cmd_events(2, opt), NB_EXIT_USAGE);
}

/* The `events --json` document: schema id, integers as integers, the listing's field names. */
static void test_events_listing(void **state)
{
	(void)state;
	char err[256];
	assert_null(nb_events_listing("no_such_event_xyz", false, err, sizeof(err)));
	assert_non_null(strstr(err, "no_such_event_xyz"));
	json_t *doc = nb_events_listing("page-faults,cycles", false, err, sizeof(err));
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), NB_EVENTS_SCHEMA);
	assert_true(json_is_integer(json_object_get(doc, "perf_event_paranoid")));
	assert_true(json_is_boolean(json_object_get(doc, "hardware_pmu")));
	assert_true(json_is_object(json_object_get(doc, "cpu")));
	assert_true(json_is_object(json_object_get(doc, "tracefs")));
	json_t *pmus = json_object_get(doc, "libpfm4_pmus"), *ev = json_object_get(doc, "events");
	for (size_t i = 0; i < json_array_size(pmus); i++)
		assert_true(json_is_integer(json_object_get(json_array_get(pmus, i), "events")));
	assert_int_equal(json_array_size(ev), 2);
	json_t *pf = json_array_get(ev, 0);
	assert_string_equal(json_string_value(json_object_get(pf, "name")), "page-faults");
	assert_string_equal(json_string_value(json_object_get(pf, "kind")), "software");
	assert_true(json_is_boolean(json_object_get(pf, "available")));
	json_decref(doc);
}

/* Default roles per CPU model, with libpfm4 forced to a PMU in a child process. */
static int forced_child(const char *pmu, const char *const expect[4])
{
	pfm_terminate();
	setenv("LIBPFM_FORCE_PMU", pmu, 1);
	if (pfm_initialize() != PFM_SUCCESS)
		return 3;
	struct nb_counters *c =
	    nb_counters_new("llc-misses,dram-local,dram-remote,dtlb-misses", NULL, 0);
	if (!c)
		return 4;
	json_t *j = nb_counters_json(c);
	int bad = 0;
	for (int i = 0; i < 4; i++) {
		const char *ev = json_string_value(json_object_get(json_array_get(j, i), "event"));
		if (expect[i] && strcmp(ev, expect[i])) {
			fprintf(stderr, "%s: role %d resolved to %s, want %s\n", pmu, i, ev,
				expect[i]);
			bad = 1;
		}
	}
	return bad;
}

static void check_forced(const char *pmu, const char *const expect[4])
{
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(forced_child(pmu, expect));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_default_roles_per_model(void **state)
{
	(void)state;
	static const char *const spr[4] = {
	    "LONGEST_LAT_CACHE:MISS", "MEM_LOAD_L3_MISS_RETIRED:LOCAL_DRAM",
	    "MEM_LOAD_L3_MISS_RETIRED:REMOTE_DRAM", "DTLB_LOAD_MISSES:WALK_COMPLETED"};
	static const char *const hsw_ep[4] = {
	    "LONGEST_LAT_CACHE:MISS", "MEM_LOAD_UOPS_L3_MISS_RETIRED:LOCAL_DRAM",
	    "MEM_LOAD_UOPS_L3_MISS_RETIRED:REMOTE_DRAM", "DTLB_LOAD_MISSES:WALK_COMPLETED"};
	static const char *const zen4[4] = {
	    NULL, "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_NEAR",
	    "DEMAND_DATA_CACHE_FILLS_FROM_SYSTEM:DRAM_IO_FAR",
	    "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS:TLB_RELOAD_2M_L2_MISS:TLB_RELOAD_1G_L2_MISS"};
	static const char *const zen2[4] = {
	    NULL, "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_LCL_DRAM",
	    "DATA_CACHE_REFILLS_FROM_SYSTEM:LS_MABRESP_RMT_DRAM", NULL};
	check_forced("spr", spr);
	check_forced("icx", spr);
	check_forced("skx", spr);
	check_forced("hsw_ep", hsw_ep);
	check_forced("amd64_fam19h_zen4", zen4);
	check_forced("amd64_fam17h_zen2", zen2);
}

/* ---- PMU descriptions and the grouping (counters/pmu.h) ---- */

/* A description by name, with the NMI watchdog on or off. */
static struct nb_pmu desc(const char *name, bool watchdog)
{
	const struct nb_pmu *p = nb_pmu_named(name);
	if (!p)
		fail_msg("no PMU description '%s'", name);
	struct nb_pmu d = *p;
	d.nmi_watchdog = watchdog;
	return d;
}

static void test_pmu_descriptions(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int general, free_wd;
		unsigned fixed;
	} want[] = {
	    {"skx-smt", 4, 4, 7u << NB_NEED_CYCLES},
	    {"skx", 8, 8, 7u << NB_NEED_CYCLES},
	    {"icx", 8, 8, 7u << NB_NEED_CYCLES},
	    {"spr", 8, 8, 7u << NB_NEED_CYCLES},
	    {"zen2", 6, 5, 0},
	    {"zen3", 6, 5, 0},
	    {"zen4", 6, 5, 0},
	    {"neoverse-n1", 6, 6, NB_FIXED(NB_NEED_CYCLES)},
	};
	assert_null(nb_pmu_named("pentium4"));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct nb_pmu off = desc(want[i].name, false), on = desc(want[i].name, true);
		assert_true(off.known);
		assert_int_equal(off.general, want[i].general);
		assert_int_equal(off.fixed, want[i].fixed);
		assert_int_equal(nb_pmu_free_general(&off), want[i].general);
		assert_int_equal(nb_pmu_free_fixed(&off), want[i].fixed);
		/* The watchdog's cycles: the fixed cycles counter where there is one. */
		assert_int_equal(nb_pmu_free_general(&on), want[i].free_wd);
		assert_int_equal(nb_pmu_free_fixed(&on), want[i].fixed & ~NB_FIXED(NB_NEED_CYCLES));
	}
}

static void test_pmu_need(void **state)
{
	(void)state;
	struct nb_pmu skx = desc("skx-smt", false), zen = desc("zen4", false);
	struct nb_pmu n1 = desc("neoverse-n1", false);
	struct perf_event_attr a = {.type = PERF_TYPE_HARDWARE, .config = PERF_COUNT_HW_CPU_CYCLES};
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_CYCLES);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_INSTR);
	a.config = PERF_COUNT_HW_CACHE_MISSES;
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_GENERAL);
	a.type = PERF_TYPE_RAW;
	a.config = 0x53003c; /* UNHALTED_CORE_CYCLES with usr/os/int/en bits */
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_CYCLES);
	a.config = 0x100003c; /* cmask 1: not what the fixed counter counts */
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_GENERAL);
	a.config = 0x5300c0;
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_INSTR);
	a.config = 0x530300;
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_REF);
	a.config = 0x5301d1; /* MEM_LOAD_RETIRED */
	assert_int_equal(nb_pmu_need(&skx, &a), NB_NEED_GENERAL);
	/* AMD cycles and instructions are named so (as the generic events are), but no fixed
	 * counter takes them: each costs a general counter in a group. */
	a.config = 0x76;
	assert_int_equal(nb_pmu_need(&zen, &a), NB_NEED_CYCLES);
	a.config = 0xc0;
	assert_int_equal(nb_pmu_need(&zen, &a), NB_NEED_INSTR);
	a.config = 0x1000076; /* with a counter mask: not the plain event */
	assert_int_equal(nb_pmu_need(&zen, &a), NB_NEED_GENERAL);
	{
		enum nb_need two[] = {NB_NEED_CYCLES, NB_NEED_INSTR};
		int grp[2];
		struct nb_grouping g = nb_pmu_group(&zen, two, 2, false, grp);
		assert_int_equal(g.hw_need, 2);
	}
	a.config = 0x11; /* Arm CPU_CYCLES: the cycle counter */
	assert_int_equal(nb_pmu_need(&n1, &a), NB_NEED_CYCLES);
	a.config = 0x08;
	assert_int_equal(nb_pmu_need(&n1, &a), NB_NEED_GENERAL);
	a.type = PERF_TYPE_SOFTWARE;
	assert_int_equal(nb_pmu_need(&n1, &a), NB_NEED_SOFTWARE);
	a.type = PERF_TYPE_TRACEPOINT;
	assert_int_equal(nb_pmu_need(&n1, &a), NB_NEED_TRACEPOINT);
}

static bool hw_need(enum nb_need n)
{
	return n != NB_NEED_SOFTWARE && n != NB_NEED_TRACEPOINT;
}

/* The invariants of any grouping: every event in exactly one group (hardware may be not
 * scheduled), software and tracepoints never with hardware, and no hardware group needing
 * more general counters than are free (a fixed counter serves one event per group). Returns
 * the number of hardware groups. */
static int check_grouping(const struct nb_pmu *p, const enum nb_need *need, int n, const int *group,
			  struct nb_grouping g)
{
	int hw_groups = 0, dropped = 0;
	for (int i = 0; i < n; i++) {
		assert_in_range(group[i] + 1, 0, g.ngroups);
		assert_true(group[i] >= 0 || hw_need(need[i]));
		dropped += group[i] == NB_NOT_SCHEDULED;
	}
	assert_int_equal(dropped, g.dropped);
	for (int k = 0; k < g.ngroups; k++) {
		int gen = 0, hw = 0, sw = 0;
		unsigned used = 0;
		for (int i = 0; i < n; i++) {
			if (group[i] != k)
				continue;
			if (!hw_need(need[i])) {
				sw++;
				continue;
			}
			hw++;
			unsigned bit = need[i] == NB_NEED_GENERAL ? 0 : NB_FIXED(need[i]);
			if (bit && (nb_pmu_free_fixed(p) & bit) && !(used & bit))
				used |= bit;
			else
				gen++;
		}
		assert_false(hw && sw);
		assert_true(hw + sw > 0);
		if (p->known)
			assert_true(gen <= nb_pmu_free_general(p));
		hw_groups += hw > 0;
	}
	return hw_groups;
}

/* The default set's needs: cycles, instructions, four general events (llc, dram-local,
 * dram-remote, dtlb, in that priority), five software events, six tracepoints. */
static int default_needs(enum nb_need *need)
{
	int n = 0;
	need[n++] = NB_NEED_CYCLES;
	need[n++] = NB_NEED_INSTR;
	for (int i = 0; i < 4; i++)
		need[n++] = NB_NEED_GENERAL;
	for (int i = 0; i < 5; i++)
		need[n++] = NB_NEED_SOFTWARE;
	for (int i = 0; i < 6; i++)
		need[n++] = NB_NEED_TRACEPOINT;
	return n;
}

/* The default set is one round on every description: it fits whole except where the watchdog
 * takes a general counter that the set needs (Skylake-SP with HT: cycles then needs a general
 * counter, 5 > 4; Zen: 6 > 5), and there the last event in priority, dtlb-misses, is not
 * scheduled. */
static void test_group_default_set(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool watchdog;
		int need, free, dropped;
	} cases[] = {
	    {"skx-smt", false, 4, 4, 0},    {"skx-smt", true, 5, 4, 1},
	    {"skx", true, 5, 8, 0},	    {"icx", false, 4, 8, 0},
	    {"icx", true, 5, 8, 0},	    {"spr", false, 4, 8, 0},
	    {"spr", true, 5, 8, 0},	    {"zen2", false, 6, 6, 0},
	    {"zen2", true, 6, 5, 1},	    {"zen3", false, 6, 6, 0},
	    {"zen3", true, 6, 5, 1},	    {"zen4", false, 6, 6, 0},
	    {"zen4", true, 6, 5, 1},	    {"neoverse-n1", false, 5, 6, 0},
	    {"neoverse-n1", true, 6, 6, 0},
	};
	enum nb_need need[32];
	int group[32], n = default_needs(need);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct nb_pmu p = desc(cases[c].name, cases[c].watchdog);
		struct nb_grouping g = nb_pmu_group(&p, need, n, false, group);
		assert_int_equal(check_grouping(&p, need, n, group, g), 1);
		assert_int_equal(g.hw_need, cases[c].need);
		assert_int_equal(g.free_gen, cases[c].free);
		assert_int_equal(g.dropped, cases[c].dropped);
		assert_int_equal(g.ngroups, 2); /* one hardware round, one software group */
		if (cases[c].dropped)
			assert_int_equal(group[5], NB_NOT_SCHEDULED);
		for (int i = 0; i < 5; i++)
			assert_true(group[i] >= 0);
	}
}

/* More hardware events than counters: not scheduled without rotation; with rotation (a user
 * list) further groups, each within the free counters. */
static void test_group_rotation(void **state)
{
	(void)state;
	enum nb_need need[16];
	int group[16], n = 0;
	need[n++] = NB_NEED_SOFTWARE;
	for (int i = 0; i < 12; i++)
		need[n++] = NB_NEED_GENERAL;
	need[n++] = NB_NEED_TRACEPOINT;
	struct nb_pmu zen = desc("zen4", true);
	struct nb_grouping g = nb_pmu_group(&zen, need, n, false, group);
	assert_int_equal(check_grouping(&zen, need, n, group, g), 1);
	assert_int_equal(g.dropped, 7);
	assert_int_equal(group[0], group[n - 1]);
	g = nb_pmu_group(&zen, need, n, true, group);
	assert_int_equal(check_grouping(&zen, need, n, group, g), 3); /* 5 + 5 + 2 */
	assert_int_equal(g.dropped, 0);
	/* Two cycles events on Skylake-SP: the fixed counter serves one, the other is general;
	 * a fixed-capable event still joins a round whose general counters are all taken. */
	struct nb_pmu skx = desc("skx-smt", false);
	enum nb_need two[] = {NB_NEED_CYCLES,  NB_NEED_CYCLES,	NB_NEED_GENERAL, NB_NEED_GENERAL,
			      NB_NEED_GENERAL, NB_NEED_GENERAL, NB_NEED_REF};
	g = nb_pmu_group(&skx, two, 7, false, group);
	assert_int_equal(check_grouping(&skx, two, 7, group, g), 1);
	assert_int_equal(g.hw_need, 5);
	assert_int_equal(g.dropped, 1);
	assert_int_equal(group[5], NB_NOT_SCHEDULED);
	assert_int_equal(group[6], group[0]);
	/* A PMU with no counters at all schedules no hardware event. */
	struct nb_pmu none = skx;
	none.general = 0;
	none.fixed = 0;
	g = nb_pmu_group(&none, two, 7, true, group);
	assert_int_equal(g.dropped, 7);
	/* An unknown PMU: one group, the kernel decides. */
	none.known = false;
	g = nb_pmu_group(&none, two, 7, false, group);
	assert_int_equal(check_grouping(&none, two, 7, group, g), 1);
	assert_int_equal(g.dropped, 0);
}

/* The default set as libpfm4 encodes it for each CPU (forced, in a fresh process: this binary
 * exec'd again, as `LIBPFM_FORCE_PMU=... numabench` starts; a pfm_terminate and re-initialize
 * in a forked child kept the host's detection: the perf PMU's flags, which made the generic
 * events encode on an AMD host, and the cpu model, which made two icx events fail on an Intel
 * one), grouped on that CPU's description: the encodings' needs, one hardware round, software
 * apart. want_hw: 6 on Intel; 5 on AMD, whose llc-misses is the generic LLC-load-misses, which
 * needs libpfm4's perf PMU that forcing leaves inactive. */
static int grouped_child(const char *pmu, const char *name, bool watchdog, int want_dropped,
			 int want_hw)
{
	const char *forced = getenv("LIBPFM_FORCE_PMU");
	if (!forced || strcmp(forced, pmu) || pfm_initialize() != PFM_SUCCESS)
		return 3;
	struct nb_counters *c = nb_counters_new(NULL, NULL, 0);
	struct nb_pmu p = *nb_pmu_named(name);
	enum nb_need need[64];
	int group[64], n = 0, hw = 0;
	p.nmi_watchdog = watchdog;
	for (int i = 0; c && i < c->n && n < 64; i++)
		if (c->v[i].encoded) {
			need[n++] = nb_pmu_need(&p, &c->v[i].attr);
			hw += c->v[i].kind == K_HW;
		}
	nb_counters_free(c);
	pfm_terminate();
	struct nb_grouping g = nb_pmu_group(&p, need, n, false, group);
	if (hw != want_hw || check_grouping(&p, need, n, group, g) != 1 ||
	    g.dropped != want_dropped || need[0] != NB_NEED_CYCLES || need[1] != NB_NEED_INSTR) {
		fprintf(stderr, "%s on %s: %d hardware, need %d, free %d, dropped %d\n", pmu, name,
			hw, g.hw_need, g.free_gen, g.dropped);
		return 1;
	}
	return 0;
}

static void check_grouped(const char *pmu, const char *name, bool watchdog, int want_dropped)
{
	int status;
	char w[2] = {watchdog ? '1' : '0', 0}, d[12],
	     hw[2] = {strncmp(pmu, "amd64", 5) ? '6' : '5', 0};
	snprintf(d, sizeof(d), "%d", want_dropped);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("LIBPFM_FORCE_PMU", pmu, 1);
		execl("/proc/self/exe", "counters_test", "--grouped-child", pmu, name, w, d, hw,
		      (char *)NULL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_group_encoded_default_set(void **state)
{
	(void)state;
	check_grouped("skx", "skx-smt", false, 0);
	check_grouped("skx", "skx-smt", true, 1);
	check_grouped("icx", "icx", true, 0);
	check_grouped("spr", "spr", true, 0);
	check_grouped("amd64_fam17h_zen2", "zen2", false, 0);
	check_grouped("amd64_fam19h_zen3", "zen3", false, 0);
	check_grouped("amd64_fam19h_zen4", "zen4", false, 0);
}

/* The plan of a set on a named description, opening nothing (what `run --plan` shows). */
static void test_counters_plan(void **state)
{
	(void)state;
	struct nb_counters *c = nb_counters_new(
	    "cycles,instructions,page-faults,LLC-load-misses,dTLB-load-misses,cache-misses,"
	    "branch-misses",
	    NULL, 0);
	assert_non_null(c);
	for (int i = 0; i < c->n; i++)
		if (!c->v[i].encoded) { /* no perf generic PMU in libpfm4 here */
			nb_counters_free(c);
			skip();
		}
	struct nb_pmu skx = desc("skx-smt", true);
	json_t *plan = nb_counters_plan(c, &skx);
	json_t *ev = json_object_get(plan, "events");
	assert_true(json_is_true(json_object_get(plan, "rotate"))); /* a user list */
	assert_int_equal(json_integer_value(json_object_get(plan, "hw_need")), 5);
	assert_int_equal(json_integer_value(json_object_get(plan, "free_general")), 4);
	assert_int_equal(json_integer_value(json_object_get(plan, "groups")), 3);
	assert_int_equal(json_integer_value(json_object_get(plan, "not_scheduled")), 0);
	assert_string_equal(json_string_value(json_object_get(entry(ev, "cycles"), "needs")),
			    "cycles");
	json_t *g0 = json_object_get(entry(ev, "cycles"), "group");
	json_t *sw = json_object_get(entry(ev, "page-faults"), "group");
	json_t *last = json_object_get(entry(ev, "branch-misses"), "group");
	assert_false(json_equal(g0, sw));
	assert_false(json_equal(g0, last));
	assert_false(json_equal(sw, last));
	assert_true(json_equal(g0, json_object_get(entry(ev, "cache-misses"), "group")));
	json_decref(plan);
	c->rotate = false; /* as the default set: one round, the rest not scheduled */
	plan = nb_counters_plan(c, &skx);
	ev = json_object_get(plan, "events");
	assert_int_equal(json_integer_value(json_object_get(plan, "groups")), 2);
	assert_int_equal(json_integer_value(json_object_get(plan, "not_scheduled")), 1);
	assert_true(json_is_null(json_object_get(entry(ev, "branch-misses"), "group")));
	assert_string_equal(
	    json_string_value(json_object_get(entry(ev, "branch-misses"), "reason")),
	    "not scheduled");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(plan, "pmu"), "name")), "skx-smt");
	json_decref(plan);
	nb_counters_free(c);
}

/* A view reads the run's open set over a shorter span: the cross-checks' way of counting. */
static void test_view_of_run_set(void **state)
{
	(void)state;
	char err[256];
	struct nb_counters *run = nb_counters_new("page-faults,context-switches", NULL, 0);
	if (nb_counters_open(run, 0, -1, false) < 2) {
		nb_counters_free(run);
		skip();
	}
	nb_counters_start(run);
	touch_pages(500);
	struct nb_counters *v = nb_counters_view(run, "page-faults,minor-faults", err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(nb_counters_open(v, 0, -1, false), -1); /* a view opens nothing */
	nb_counters_start(v);
	touch_pages(1000);
	nb_counters_stop(v);
	assert_in_range(nb_counters_value(v, "page-faults"), 1000, 1016);
	json_t *j = nb_counters_json(v);
	json_t *rem = entry(j, "minor-faults");
	assert_false(json_is_true(json_object_get(rem, "available")));
	assert_non_null(strstr(json_string_value(json_object_get(rem, "reason")), "run's"));
	assert_true(json_is_real(json_object_get(entry(j, "page-faults"), "running_fraction")));
	json_decref(j);
	int64_t in_view = nb_counters_value(v, "page-faults");
	nb_counters_free(v);
	nb_counters_stop(run);
	/* The run kept counting: both spans (500 + the view's 1000), plus what the code between
	 * them faults in (the view's and the JSON's allocations, and under ASan their shadow
	 * pages: 33 faults seen once in CI), so the bound on that overhead is loose. */
	int64_t in_run = nb_counters_value(run, "page-faults");
	assert_true(in_run >= in_view + 500);
	assert_in_range(in_run, 1500, 1700);
	nb_counters_free(run);
	assert_null(nb_counters_view(NULL, "page-faults", err, sizeof(err)));
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "--grouped-child"))
		return grouped_child(argv[2], argv[3], argv[4][0] == '1', atoi(argv[5]),
				     atoi(argv[6]));
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_roles_per_model),
	    cmocka_unit_test(test_default_set),
	    cmocka_unit_test(test_list_trimmed_and_deduplicated),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_vendor_names_kept),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_tracepoints_from_tree),
	    cmocka_unit_test(test_json_shape),
	    cmocka_unit_test(test_page_faults_count),
	    cmocka_unit_test(test_untrustworthy_when_not_running),
	    cmocka_unit_test(test_open_arguments),
	    cmocka_unit_test(test_cmd_events_exit_codes),
	    cmocka_unit_test(test_events_listing),
	    cmocka_unit_test(test_pmu_descriptions),
	    cmocka_unit_test(test_pmu_need),
	    cmocka_unit_test(test_group_default_set),
	    cmocka_unit_test(test_group_rotation),
	    cmocka_unit_test(test_group_encoded_default_set),
	    cmocka_unit_test(test_counters_plan),
	    cmocka_unit_test(test_view_of_run_set),
	};
	return cmocka_run_group_tests_name("counters", tests, NULL, NULL);
}
