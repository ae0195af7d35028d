/*
 * numabench counters: the cost of reading a counter group, against a clock_gettime call
 * measured in the same process. `make bench` runs it through tests/counters/bench.sh.
 *   bench_read [--json] [ITERATIONS]
 * Paths measured: clock_gettime(CLOCK_MONOTONIC_RAW) (vDSO); read() of the default software
 * group through nb_counters_read; read() of a one-event group; self-monitoring rdpmc through
 * the perf mmap page when the kernel sets cap_user_rdpmc (hardware events only).
 */
#include "counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REPS 7

typedef void (*op_fn)(void *arg);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct cost {
	double median, min; /* over REPS runs of the mean ns per call over n calls */
};

static struct cost ns_per_call(op_fn op, void *arg, long n)
{
	double s[REPS];
	for (long i = 0; i < n / 10; i++)
		op(arg);
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = nb_now_ns();
		for (long i = 0; i < n; i++)
			op(arg);
		s[r] = (double)(nb_now_ns() - t0) / (double)n;
	}
	qsort(s, REPS, sizeof(s[0]), cmp_double);
	return (struct cost){.median = s[REPS / 2], .min = s[0]};
}

/* ns_per_read (median), ns_per_read_min and the ratio of medians to clock_gettime. */
static void set_cost(json_t *o, struct cost c, struct cost clock)
{
	json_object_set_new(o, "available", json_true());
	json_object_set_new(o, "ns_per_read", json_real(c.median));
	json_object_set_new(o, "ns_per_read_min", json_real(c.min));
	json_object_set_new(o, "ratio_to_clock_gettime", json_real(c.median / clock.median));
}

static void op_clock(void *arg)
{
	(void)arg;
	volatile uint64_t t = nb_now_ns();
	(void)t;
}

static void op_read(void *arg)
{
	nb_counters_read(arg);
}

#if defined(__x86_64__) || defined(__i386__)
static uint64_t rdpmc(uint32_t counter)
{
	uint32_t lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(counter));
	return lo | (uint64_t)hi << 32;
}

/* The self-monitoring read documented in include/uapi/linux/perf_event.h
 * (struct perf_event_mmap_page, "lock" seqcount). */
static void op_rdpmc(void *arg)
{
	volatile struct perf_event_mmap_page *pc = arg;
	uint32_t seq;
	uint64_t count;
	do {
		seq = pc->lock;
		__asm__ volatile("" ::: "memory");
		uint32_t idx = pc->index;
		count = pc->offset;
		if (pc->cap_user_rdpmc && idx) {
			unsigned shift = 64 - pc->pmc_width;
			count += (uint64_t)((int64_t)(rdpmc(idx - 1) << shift) >> shift);
		}
		__asm__ volatile("" ::: "memory");
	} while (pc->lock != seq);
	volatile uint64_t sink = count;
	(void)sink;
}
#endif

static json_t *measure_group(const char *events, long n, struct cost clock)
{
	json_t *o = json_object();
	struct nb_counters *c = nb_counters_new(events, NULL, 0);
	json_object_set_new(o, "events", json_string(events));
	if (!c || nb_counters_open(c, 0, -1, false) <= 0) {
		json_object_set_new(o, "available", json_false());
		json_object_set_new(o, "counters", nb_counters_json(c));
		nb_counters_free(c);
		return o;
	}
	nb_counters_start(c);
	struct cost cost = ns_per_call(op_read, c, n);
	nb_counters_stop(c);
	set_cost(o, cost, clock);
	json_object_set_new(o, "opened", json_integer(nb_counters_available(c)));
	nb_counters_free(c);
	return o;
}

/* rdpmc needs a hardware event whose mmap page has cap_user_rdpmc and an index; mmap of an
 * inherited per-task event is refused (kernel/events/core.c perf_mmap), so no inherit. */
static json_t *measure_rdpmc(long n, struct cost clock)
{
	json_t *o = json_object();
	struct perf_event_attr a = {.size = sizeof(a), .type = PERF_TYPE_HARDWARE};
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.exclude_kernel = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		char why[160];
		snprintf(why, sizeof(why),
			 "cycles does not open (%s): no hardware counter to rdpmc",
			 strerrorname_np(errno));
		json_object_set_new(o, "available", json_false());
		json_object_set_new(o, "reason", json_string(why));
		return o;
	}
	struct perf_event_mmap_page *pc =
	    mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	bool ok = pc != MAP_FAILED && pc->cap_user_rdpmc && pc->index;
	json_object_set_new(o, "available", json_false());
#if defined(__x86_64__) || defined(__i386__)
	if (ok)
		set_cost(o, ns_per_call(op_rdpmc, pc, n), clock);
#endif
	if (!ok)
		json_object_set_new(o, "reason",
				    json_string(pc == MAP_FAILED
						    ? "mmap failed"
						    : "cap_user_rdpmc is 0 or no index"));
	if (pc != MAP_FAILED)
		munmap(pc, (size_t)sysconf(_SC_PAGESIZE));
	close(fd);
	return o;
}

static void print_line(const char *what, json_t *o)
{
	if (json_is_true(json_object_get(o, "available")))
		printf("%-36s %8.1f ns/read (min %6.1f)  %6.2fx clock_gettime\n", what,
		       json_real_value(json_object_get(o, "ns_per_read")),
		       json_real_value(json_object_get(o, "ns_per_read_min")),
		       json_real_value(json_object_get(o, "ratio_to_clock_gettime")));
	else
		printf("%-36s unavailable: %s\n", what,
		       json_object_get(o, "reason")
			   ? json_string_value(json_object_get(o, "reason"))
			   : "counters did not open (see numabench events)");
}

int main(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	uint64_t n = 200000;
	if (argc > 1 + json && nb_parse_u64(argv[1 + json], &n)) {
		fprintf(stderr, "usage: bench_read [--json] [ITERATIONS]\n");
		return 2;
	}
	struct cost clock = ns_per_call(op_clock, NULL, (long)n * 10);
	json_t *doc = json_object();
	json_object_set_new(doc, "clock_gettime_ns", json_real(clock.median));
	json_object_set_new(doc, "clock_gettime_ns_min", json_real(clock.min));
	json_object_set_new(doc, "group_read",
			    measure_group("page-faults,minor-faults,major-faults,cpu-migrations,"
					  "context-switches",
					  (long)n, clock));
	json_object_set_new(doc, "single_read", measure_group("page-faults", (long)n, clock));
	json_object_set_new(doc, "rdpmc", measure_rdpmc((long)n, clock));
	if (json) {
		json_dumpf(doc, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		printf("%-36s %8.1f ns/call (min %6.1f)\n", "clock_gettime(CLOCK_MONOTONIC_RAW)",
		       clock.median, clock.min);
		print_line("read() of a 5-event software group",
			   json_object_get(doc, "group_read"));
		print_line("read() of a 1-event group", json_object_get(doc, "single_read"));
		print_line("rdpmc self-monitoring (cycles)", json_object_get(doc, "rdpmc"));
	}
	json_decref(doc);
	return 0;
}
