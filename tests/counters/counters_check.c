/*
 * numabench counters check: do the counters count real work on this host?
 *   counters_check faults N [thread]  touch N new pages (in a thread created after open, with
 *                                     inherit); page-faults must be within tolerance of N
 *   counters_check forks N            fork N children; sched:sched_process_fork must count N
 *   counters_check migrate N          move N pages between two nodes (needs >= 2 nodes);
 *                                     migrate:mm_migrate_pages must fire
 *   counters_check json [EVENTS]      open, start, stop: print the counters JSON
 * Prints one JSON object on stdout. Exit 0 pass, 1 fail, 2 usage, 77 skip (with a reason).
 */
#include "counters.h"

#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SKIP 77

static long page_size;

/* The counters' JSON is only printed when it explains a skip or a failure. */
static int emit(json_t *o, int code)
{
	json_object_set_new(o, "exit", json_integer(code));
	if (code == 0)
		json_object_del(o, "counters");
	json_dumpf(o, stdout, JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return code;
}

static int skip(json_t *o, const char *why)
{
	json_object_set_new(o, "skipped", json_string(why));
	return emit(o, SKIP);
}

/* Open `events` on this thread with inherit; NULL (and a skip) when the first is unusable. */
static struct nb_counters *open_self(const char *events, json_t *o)
{
	char err[256];
	struct nb_counters *c = nb_counters_new(events, err, sizeof(err));
	if (!c) {
		json_object_set_new(o, "error", json_string(err));
		return NULL;
	}
	nb_counters_open(c, 0, -1, true);
	return c;
}

/* Anonymous memory that faults one base page at a time: MADV_NOHUGEPAGE keeps THP and
 * multi-size THP away (mm/huge_memory.c thp_vma_allowable_orders checks VM_NOHUGEPAGE). */
static char *fresh_pages(size_t n)
{
	char *p =
	    mmap(NULL, n * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, n * page_size, MADV_NOHUGEPAGE);
	return p;
}

struct touch {
	char *p;
	size_t n;
};

/* Not instrumented: ASan shadow accesses would fault shadow pages into the count. */
__attribute__((no_sanitize_address)) static void *touch(void *arg)
{
	struct touch *t = arg;
	for (size_t i = 0; i < t->n; i++)
		((volatile char *)t->p)[i * page_size] = 1;
	return NULL;
}

static int check_faults(size_t n, bool thread)
{
	json_t *o = json_object();
	struct touch t = {fresh_pages(n), n};
	struct nb_counters *c = open_self("page-faults,minor-faults,major-faults", o);
	pthread_t th;
	if (!c || !t.p)
		return emit(o, 1);
	nb_counters_start(c);
	if (thread && pthread_create(&th, NULL, touch, &t) == 0)
		pthread_join(th, NULL);
	else
		touch(&t);
	nb_counters_stop(c);
	int64_t pf = nb_counters_value(c, "page-faults");
	int64_t minor = nb_counters_value(c, "minor-faults");
	int64_t slack = 16 + (int64_t)n / 100;
	json_object_set_new(o, "pages", json_integer((json_int_t)n));
	json_object_set_new(o, "thread", json_boolean(thread));
	json_object_set_new(o, "page_faults", json_integer(pf));
	json_object_set_new(o, "minor_faults", json_integer(minor));
	json_object_set_new(o, "major_faults", json_integer(nb_counters_value(c, "major-faults")));
	json_object_set_new(o, "tolerance", json_integer(slack));
	json_object_set_new(o, "counters", nb_counters_json(c));
	nb_counters_free(c);
	if (pf < 0)
		return skip(o, "page-faults counter unavailable here");
	bool ok = pf >= (int64_t)n && pf <= (int64_t)n + slack && minor >= (int64_t)n;
	return emit(o, ok ? 0 : 1);
}

static int check_forks(int n)
{
	const char *tp = "sched:sched_process_fork";
	json_t *o = json_object();
	struct nb_counters *c = open_self(tp, o);
	if (!c)
		return emit(o, 1);
	nb_counters_start(c);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	nb_counters_stop(c);
	int64_t v = nb_counters_value(c, tp);
	json_object_set_new(o, "forks", json_integer(n));
	json_object_set_new(o, "counted", json_integer(v));
	json_object_set_new(o, "counters", nb_counters_json(c));
	nb_counters_free(c);
	if (v < 0)
		return skip(o, "sched:sched_process_fork unavailable here (see counters.reason)");
	return emit(o, v == n ? 0 : 1);
}

/* move_pages migrates in the caller's context, so the tracepoint fires on this thread
 * (mm/migrate.c do_pages_move -> migrate_pages -> trace_mm_migrate_pages). It fires once per
 * migrate_pages() batch, not per page: the check is "fired", pages come from move_pages. */
static int check_migrate(size_t n)
{
	json_t *o = json_object();
	if (numa_available() < 0 || numa_num_configured_nodes() < 2)
		return skip(o, "needs two NUMA nodes");
	char *p = fresh_pages(n);
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes)), *status = calloc(n, sizeof(*status));
	struct nb_counters *c = open_self("migrate:mm_migrate_pages", o);
	if (!p || !pages || !nodes || !status || !c)
		return emit(o, 1);
	struct touch t = {p, n};
	touch(&t);
	for (size_t i = 0; i < n; i++) {
		pages[i] = p + i * page_size;
		nodes[i] = 1;
	}
	nb_counters_start(c);
	long r = move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE);
	nb_counters_stop(c);
	size_t moved = 0;
	for (size_t i = 0; r >= 0 && i < n; i++)
		moved += status[i] == 1;
	int64_t v = nb_counters_value(c, "migrate:mm_migrate_pages");
	json_object_set_new(o, "pages_moved", json_integer((json_int_t)moved));
	json_object_set_new(o, "counted", json_integer(v));
	json_object_set_new(o, "counters", nb_counters_json(c));
	nb_counters_free(c);
	free(pages);
	free(nodes);
	free(status);
	if (v < 0)
		return skip(o, "migrate:mm_migrate_pages unavailable here");
	return emit(o, moved > 0 && v >= 1 ? 0 : 1);
}

static int dump_json(const char *events)
{
	json_t *o = json_object();
	struct nb_counters *c = open_self(events, o);
	if (!c)
		return emit(o, 2);
	nb_counters_start(c);
	nb_counters_stop(c);
	char why[256] = "";
	json_object_set_new(o, "untrustworthy",
			    json_boolean(nb_counters_untrustworthy(c, NULL, NB_COUNTERS_MIN_RUNNING,
								   why, sizeof(why))));
	json_object_set_new(o, "counters", nb_counters_json(c));
	nb_counters_free(c);
	json_dumpf(o, stdout, JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 0;
	page_size = sysconf(_SC_PAGESIZE);
	if (argc >= 2 && !strcmp(argv[1], "json"))
		return dump_json(argc > 2 ? argv[2] : NULL);
	if (argc < 3 || nb_parse_u64(argv[2], &n) || n == 0 || n > (1u << 24)) {
		fprintf(stderr,
			"usage: counters_check faults|forks|migrate N [thread] | json [EVENTS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "faults"))
		return check_faults(n, argc > 3 && !strcmp(argv[3], "thread"));
	if (!strcmp(argv[1], "forks"))
		return check_forks((int)n);
	if (!strcmp(argv[1], "migrate"))
		return check_migrate(n);
	fprintf(stderr, "counters_check: unknown check '%s'\n", argv[1]);
	return 2;
}
