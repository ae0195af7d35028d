/* Unit tests of kernels/mix.c (the read/write mixes of loaded's injectors and bandwidth's mix,
 * the c2c holder and ping-pong loops) and of loaded's comparison with the latency bench. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "kernels.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINES 1024 /* a multiple of every mix's step (1, 2, 3, 4) plus a remainder for 3 */

static double *lines_of(size_t n, double v)
{
	double *b = aligned_alloc(64, n * NB_LINE);
	for (size_t i = 0; i < n * 8; i++)
		b[i] = v;
	return b;
}

/* Which lines a pass of mix m over `n` zeroed lines wrote (every double of the line 1.0). */
static void check_writes(enum nb_mix_kind k, size_t n, unsigned delay)
{
	const struct nb_mix *m = &nb_mixes[k];
	size_t step = (size_t)(m->reads + m->writes), written = 0;
	double *b = lines_of(n, 0.0);
	nb_mix_run(b, n, m, delay);
	for (size_t l = 0; l < n; l++) {
		int ones = 0;
		for (int d = 0; d < 8; d++)
			ones += b[l * 8 + d] == 1.0;
		/* A line is written whole or not at all. */
		assert_true(ones == 0 || ones == 8);
		/* The write lines are the last `writes` of each whole step; a partial step at the
		 * end is not touched. */
		bool full_step = l / step * step + step <= n;
		bool want = full_step && (int)(l % step) >= m->reads;
		assert_int_equal(ones == 8, want);
		written += ones == 8;
	}
	assert_int_equal(written, n / step * (size_t)m->writes);
	free(b);
}

static void test_mix_writes_expected_lines(void **state)
{
	(void)state;
	for (int k = 0; k < NB_MIX_COUNT; k++) {
		check_writes(k, LINES, 0);
		check_writes(k, LINES + 1, 0); /* a partial step for r2w1, r3w1, r1w1 */
		check_writes(k, LINES, 7);     /* the delay changes no access */
	}
	/* The fractions MLC's traffic types name: 3:1 writes 1/4, 2:1 1/3, 1:1 1/2. */
	const struct nb_mix *m = &nb_mixes[NB_MIX_R3W1];
	assert_int_equal(m->reads * 1, m->writes * 3);
	m = &nb_mixes[NB_MIX_R2W1];
	assert_int_equal(m->reads * 1, m->writes * 2);
	m = &nb_mixes[NB_MIX_R1W1];
	assert_int_equal(m->reads, m->writes);
	assert_int_equal(nb_mixes[NB_MIX_READ].writes, 0);
	assert_int_equal(nb_mixes[NB_MIX_NTWRITE].reads, 0);
	assert_true(nb_mixes[NB_MIX_NTWRITE].nt);
}

/* Reads: a buffer of ones sums to 8 per line read, so the result counts the lines read. */
static void test_mix_reads_every_read_line_once(void **state)
{
	(void)state;
	for (int k = 0; k < NB_MIX_COUNT; k++) {
		const struct nb_mix *m = &nb_mixes[k];
		size_t step = (size_t)(m->reads + m->writes);
		for (unsigned delay = 0; delay <= 50; delay += 50) {
			double *b = lines_of(LINES, 1.0);
			double got = nb_mix_run(b, LINES, m, delay);
			assert_true(got == 8.0 * (double)(LINES / step * (size_t)m->reads));
			free(b);
		}
	}
}

static double secs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The delay is an idle spin of delay x (lines of the step) after each step: a large delay
 * takes far longer than none for the same lines (the best of several tries, so a busy
 * machine's preemption of the fast pass does not decide). */
static void test_mix_delay_slows_injection(void **state)
{
	(void)state;
	const struct nb_mix *m = &nb_mixes[NB_MIX_READ];
	double *b = lines_of(64, 1.0);
	double fast = 1e9, slow = 1e9;
	for (int i = 0; i < 5; i++) {
		double t0 = secs();
		nb_mix_run(b, 64, m, 0);
		double t1 = secs();
		nb_mix_run(b, 64, m, 20000); /* 64 x 20000 spins: >= ~0.4 ms */
		double t2 = secs();
		fast = fmin(fast, t1 - t0);
		slow = fmin(slow, t2 - t1);
	}
	assert_true(slow > 10 * fast);
	free(b);
}

static void test_mix_traffic_per_line(void **state)
{
	(void)state;
	/* Reads 64 B, temporal writes 128 B (write-allocate + write-back), NT writes 64 B. */
	assert_true(fabs(nb_mix_traffic_per_line(&nb_mixes[NB_MIX_READ]) - 64) < 1e-9);
	assert_true(fabs(nb_mix_traffic_per_line(&nb_mixes[NB_MIX_R3W1]) - 80) < 1e-9);
	assert_true(fabs(nb_mix_traffic_per_line(&nb_mixes[NB_MIX_R2W1]) - 256.0 / 3) < 1e-9);
	assert_true(fabs(nb_mix_traffic_per_line(&nb_mixes[NB_MIX_R1W1]) - 96) < 1e-9);
	assert_true(fabs(nb_mix_traffic_per_line(&nb_mixes[NB_MIX_NTWRITE]) - 64) < 1e-9);
}

/* ---- c2c: which lines the holder's prepare loop reads and writes ----
 * One link per page, every page PROT_NONE: the first access to a page faults and the handler
 * makes it readable (a read), a write faults again and the handler makes it writable (a
 * write). So the pages read and written are exactly the lines the loop touched. */
#define PAGES 64
static char *area;
static size_t pagesz;
static volatile int nread[PAGES], nwritten[PAGES];

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	size_t i = (size_t)((char *)si->si_addr - area) / pagesz;
	char *pg = area + i * pagesz;
	if (!nread[i]) {
		nread[i] = 1;
		mprotect(pg, pagesz, PROT_READ);
	} else {
		nwritten[i] = 1;
		mprotect(pg, pagesz, PROT_READ | PROT_WRITE);
	}
}

static void c2c_touches(int modified, uint64_t n, void *start)
{
	memset((void *)nread, 0, sizeof(nread));
	memset((void *)nwritten, 0, sizeof(nwritten));
	assert_int_equal(mprotect(area, PAGES * pagesz, PROT_NONE), 0);
	nb_c2c_prepare(start, n, modified);
	assert_int_equal(mprotect(area, PAGES * pagesz, PROT_READ | PROT_WRITE), 0);
}

static void test_c2c_prepare_touches_the_chain(void **state)
{
	(void)state;
	pagesz = 4096;
	area =
	    mmap(NULL, PAGES * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	void *start = nb_chase_build(area, PAGES * pagesz, pagesz, PAGES * pagesz, 3);
	assert_non_null(start);
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);

	/* Clean (HIT case): every line of the chain read, none written. */
	c2c_touches(0, PAGES, start);
	for (int i = 0; i < PAGES; i++) {
		assert_int_equal(nread[i], 1);
		assert_int_equal(nwritten[i], 0);
	}
	/* Modified (HITM case), half the chain: exactly its first PAGES/2 links read and
	 * written, in chain order, and the chain left intact. */
	c2c_touches(1, PAGES / 2, start);
	char in_first_half[PAGES] = {0};
	void *p = start;
	for (int i = 0; i < PAGES / 2; i++, p = *(void **)p)
		in_first_half[((char *)p - area) / (long)pagesz] = 1;
	for (int i = 0; i < PAGES; i++) {
		assert_int_equal(nread[i], in_first_half[i]);
		assert_int_equal(nwritten[i], in_first_half[i]);
	}
	sigaction(SIGSEGV, &old, NULL);
	p = start;
	for (int i = 0; i < PAGES; i++)
		p = *(void **)p;
	assert_ptr_equal(p, start);	    /* still one cycle */
	nb_c2c_flush(area, PAGES * pagesz); /* evicts; the data stays */
	assert_ptr_equal(*(void **)start, *(void **)start);
	munmap(area, PAGES * pagesz);
}

/* ---- c2c: the ping-pong hands the word back and forth, each side `rounds` times ---- */
struct pp {
	volatile uint64_t *w;
	int side;
	uint64_t rounds;
};

static void *pp_main(void *v)
{
	struct pp *a = v;
	nb_pingpong(a->w, a->side, a->rounds);
	return NULL;
}

static void test_pingpong_alternates(void **state)
{
	(void)state;
	static volatile uint64_t w __attribute__((aligned(64)));
	w = 0;
	struct pp a = {&w, 1, 2000}, b = {&w, 0, 2000};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, pp_main, &a), 0);
	pp_main(&b);
	pthread_join(t, NULL);
	assert_int_equal(w, 4000); /* each increment by the side whose turn it was */
	/* One side alone stops after handing over once, waiting: 1 round leaves w odd. */
	w = 0;
	struct pp c = {&w, 0, 1};
	pp_main(&c);
	assert_int_equal(w, 1);
}

/* ---- loaded's zero-injection point against the latency bench (bench.compare) ---- */

static json_t *cell(int size_mib, double median, const char *status)
{
	json_t *c =
	    json_pack("{s:i,s:i,s:s,s:s,s:I,s:i,s:i,s:s}", "cpu_node", 0, "mem_node", 0, "pages",
		      "4k", "size", "256M", "size_bytes", (json_int_t)size_mib << 20, "stride", 256,
		      "tlb_group", 262144, "status", status);
	json_object_set_new(c, "metrics", json_pack("{s:{s:f}}", "latency_ns", "median", median));
	return c;
}

static json_t *run_of(const char *bench, const char *status, json_t *c)
{
	json_t *r = json_pack("{s:s,s:s,s:[]}", "bench", bench, "status", status, "cells");
	if (c)
		json_array_append_new(json_object_get(r, "cells"), c);
	return r;
}

/* Run loaded's compare over runs [latency (when lat), loaded] and return the cell's
 * vs_latency status; *ratio its ratio (NAN when none). */
static const char *compare(json_t *lat, double loaded_ns, double *ratio, json_t **vs)
{
	static json_t *runs;
	json_decref(runs);
	runs = json_array();
	if (lat)
		json_array_append_new(runs, lat);
	json_t *lr = run_of("loaded", "ok", cell(256, loaded_ns, "ok"));
	json_array_append_new(runs, lr);
	const struct nb_bench *b = nb_bench_find("loaded");
	assert_non_null(b);
	assert_non_null(b->compare);
	b->compare(NULL, lr, runs);
	*vs = json_object_get(json_array_get(json_object_get(lr, "cells"), 0), "vs_latency");
	json_t *r = json_object_get(*vs, "ratio");
	*ratio = json_is_number(r) ? json_number_value(r) : NAN;
	assert_non_null(json_object_get(lr, "vs_latency"));
	return json_string_value(json_object_get(*vs, "status"));
}

static void test_loaded_vs_latency(void **state)
{
	(void)state;
	double r;
	json_t *vs;
	nb_timing_emulated = false;
	assert_string_equal(compare(run_of("latency", "ok", cell(256, 100, "ok")), 102, &r, &vs),
			    "agree");
	assert_true(fabs(r - 1.02) < 1e-9);
	assert_true(json_is_true(json_object_get(vs, "within_3pct")));
	assert_true(fabs(json_number_value(json_object_get(vs, "latency_ns")) - 100) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(vs, "loaded_idle_ns")) - 102) < 1e-9);
	assert_string_equal(compare(run_of("latency", "ok", cell(256, 100, "ok")), 96, &r, &vs),
			    "disagree");
	assert_true(json_is_false(json_object_get(vs, "within_3pct")));
	/* Emulated timings: recorded, never judged. */
	nb_timing_emulated = true;
	assert_string_equal(compare(run_of("latency", "ok", cell(256, 100, "ok")), 150, &r, &vs),
			    "not_judged");
	assert_true(fabs(r - 1.5) < 1e-9);
	assert_true(json_is_null(json_object_get(vs, "within_3pct")));
	nb_timing_emulated = false;
	/* No comparison, with the reason. */
	assert_string_equal(compare(NULL, 100, &r, &vs), "no_latency_run");
	assert_true(isnan(r));
	assert_non_null(json_object_get(vs, "reason"));
	assert_string_equal(compare(run_of("latency", "ok", cell(64, 100, "ok")), 100, &r, &vs),
			    "no_matching_cell");
	assert_string_equal(compare(run_of("latency", "skipped", NULL), 100, &r, &vs),
			    "latency_skipped");
	json_t *failed = cell(256, 100, "failed");
	json_object_del(failed, "metrics");
	assert_string_equal(compare(run_of("latency", "failed", failed), 100, &r, &vs),
			    "latency_cell_has_no_figure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mix_writes_expected_lines),
	    cmocka_unit_test(test_mix_reads_every_read_line_once),
	    cmocka_unit_test(test_mix_delay_slows_injection),
	    cmocka_unit_test(test_mix_traffic_per_line),
	    cmocka_unit_test(test_c2c_prepare_touches_the_chain),
	    cmocka_unit_test(test_pingpong_alternates),
	    cmocka_unit_test(test_loaded_vs_latency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
