/* Reference pointer chase for `make bench`: a minimal, independent implementation of the
 * multichase method (google/multichase: "-s STRIDE" and "-T" TLB locality). The buffer is cut
 * into elements of STRIDE bytes (one cache line visited per element) and into TLB-locality
 * groups of GROUP bytes; the chain visits every element of a group once in random
 * order, and the groups in random order. multichase's defaults are a 256 B stride and groups of
 * 64 pages (256 KiB): a 64 B stride lets the adjacent-line / spatial prefetchers turn part of the
 * loads into hits. It shares no code with numabench, so the ratio measures numabench's own
 * overhead and permutation.
 *
 * Where in its element a link sits follows multichase's mixer: 64 offsets, each a random
 * multiple of the pointer size below STRIDE, element number x using offset x mod 64. With every
 * link at the element's start (this file's first version), a 256 B stride touched only the
 * first line of four, and measured 147-154 ns beside multichase's own 140-142 ns on this VM
 * (1 GiB, 4 KiB pages, 256 KiB groups).
 *
 * The buffer is 4 KiB pages (THP off), first touched by this process after it pinned itself to
 * CPU, so it lands on CPU's node under the default local policy.
 *
 * Usage: chase_ref SIZE_BYTES LOADS RUNS CPU [STRIDE_BYTES [GROUP_BYTES]]
 *   (defaults: stride 256, group 262144). Prints JSON: the median ns per load over RUNS samples
 *   of LOADS dependent loads, the CV (stddev / mean) and every sample. */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void shuffle(size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = xorshift() % i, t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int pow2(size_t x)
{
	return x && !(x & (x - 1));
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: chase_ref SIZE_BYTES LOADS RUNS CPU [STRIDE [GROUP]]\n");
		return 2;
	}
	size_t size = strtoull(argv[1], 0, 10), loads = strtoull(argv[2], 0, 10);
	int runs = atoi(argv[3]), cpu = atoi(argv[4]);
	size_t stride = argc > 5 ? strtoull(argv[5], 0, 10) : 256;
	size_t group = argc > 6 ? strtoull(argv[6], 0, 10) : 256 * 1024;
	if (!pow2(stride) || stride < 64 || !pow2(group) || group < stride || size < group ||
	    runs < 1 || runs > 1000 || loads < 4) {
		fprintf(stderr, "chase_ref: stride and group must be powers of two, "
				"64 <= stride <= group <= size, 1 <= runs <= 1000\n");
		return 2;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("chase_ref: sched_setaffinity");
		return 1;
	}
	size = size / group * group;
	char *buf = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("chase_ref: mmap");
		return 1;
	}
	madvise(buf, size, MADV_NOHUGEPAGE);
	/* First touch in address order, as multichase's arena is populated before the chain is
	 * threaded: touched in the chain's random order instead, the pages' physical layout
	 * differs and every load paid for it (about 5% on this VM). */
	memset(buf, 0, size);
	/* Element e of group g is at byte g * group + e * stride. */
	size_t per = group / stride, ngroups = size / group, n = size / stride, k = 0;
	size_t *order = malloc(sizeof(size_t) * n), *gr = malloc(sizeof(size_t) * ngroups);
	size_t *el = malloc(sizeof(size_t) * per);
	double *s = malloc(sizeof(double) * runs);
	if (!order || !gr || !el || !s) {
		fprintf(stderr, "chase_ref: out of memory\n");
		return 1;
	}
	for (size_t g = 0; g < ngroups; g++)
		gr[g] = g;
	shuffle(gr, ngroups);
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t e = 0; e < per; e++)
			el[e] = e;
		shuffle(el, per);
		for (size_t e = 0; e < per; e++)
			order[k++] = gr[g] * group + el[e] * stride;
	}
	size_t mix[64], slots = stride / sizeof(void *);
	for (int m = 0; m < 64; m++)
		mix[m] = (xorshift() % slots) * sizeof(void *);
	for (size_t i = 0; i < n; i++)
		order[i] += mix[(order[i] / stride) & 63];
	for (size_t i = 0; i < n; i++)
		*(void **)(buf + order[i]) = buf + order[(i + 1) % n];
	void **p = (void **)(buf + order[0]);
	free(order);
	for (size_t i = 0; i < n; i++) /* warm-up: one full lap */
		p = *p;
	for (int r = 0; r < runs; r++) {
		double a = now_ns();
		for (size_t i = 0; i < loads; i += 4) {
			p = *p;
			p = *p;
			p = *p;
			p = *p;
		}
		s[r] = (now_ns() - a) / (double)(loads / 4 * 4);
	}
	double mean = 0, ss = 0;
	for (int r = 0; r < runs; r++)
		mean += s[r] / runs;
	for (int r = 0; r < runs; r++)
		ss += (s[r] - mean) * (s[r] - mean);
	printf(
	    "{\"stride\": %zu, \"group\": %zu, \"size_bytes\": %zu, \"loads\": %zu, \"samples\": [",
	    stride, group, size, loads);
	for (int r = 0; r < runs; r++)
		printf("%s%.4f", r ? ", " : "", s[r]);
	double cv = runs > 1 ? sqrt(ss / (runs - 1)) / mean : 0;
	qsort(s, runs, sizeof(double), cmp);
	double med = runs % 2 ? s[runs / 2] : (s[runs / 2 - 1] + s[runs / 2]) / 2;
	printf("], \"median_ns\": %.4f, \"cv\": %.4f, \"sink\": %d}\n", med, cv, p != 0);
	return 0;
}
