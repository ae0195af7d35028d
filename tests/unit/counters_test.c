/* Unit tests for harness/counters/ (and the events listing): event-list parsing, bad names, default
 * sets, tracepoint resolution from a replayed tracefs tree, JSON shape, and real software counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "counters.h"

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
	assert_false(nb_counters_untrustworthy(c, NB_COUNTERS_MIN_RUNNING, why, sizeof(why)));
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
	assert_true(nb_counters_untrustworthy(c, NB_COUNTERS_MIN_RUNNING, why, sizeof(why)));
	assert_non_null(strstr(why, "page-faults"));
	json_t *j = nb_counters_json(c);
	assert_true(json_is_true(json_object_get(json_array_get(j, 0), "multiplexed")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "value")), 0);
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

int main(void)
{
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
	};
	return cmocka_run_group_tests_name("counters", tests, NULL, NULL);
}
