/* Reference pointer chase for `make bench`: a minimal, independent implementation of the
 * multichase method (google/multichase, "-T" TLB locality): every cache line of a group of 64
 * pages is visited once in random order, groups are visited in random order. It shares no
 * code with numabench, so the ratio measures numabench's own overhead and permutation. Prints the
 * median ns per load over R runs of N loads, and the CV, as JSON. Usage: chase_ref SIZE_BYTES LOADS
 * RUNS CPU */
#define _GNU_SOURCE
#include <sched.h>
#include <math.h>
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

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	size_t size = strtoull(argv[1], 0, 10), loads = strtoull(argv[2], 0, 10);
	int runs = atoi(argv[3]);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[4]), &set);
	sched_setaffinity(0, sizeof(set), &set);
	const size_t page = 4096, line = 64, group = 64, lpp = page / line;
	size_t npages = size / page, ngroups = (npages + group - 1) / group;
	char *buf = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(buf, size, MADV_NOHUGEPAGE);
	size_t *order = malloc(sizeof(size_t) * (size / line));
	size_t *gr = malloc(sizeof(size_t) * ngroups), k = 0;
	for (size_t g = 0; g < ngroups; g++)
		gr[g] = g;
	shuffle(gr, ngroups);
	size_t *gl = malloc(sizeof(size_t) * group * lpp);
	for (size_t g = 0; g < ngroups; g++) {
		size_t first = gr[g] * group, n = first + group > npages ? npages - first : group;
		for (size_t i = 0; i < n * lpp; i++)
			gl[i] = first * page + i * line;
		shuffle(gl, n * lpp);
		for (size_t i = 0; i < n * lpp; i++)
			order[k++] = gl[i];
	}
	for (size_t i = 0; i < k; i++)
		*(void **)(buf + order[i]) = buf + order[(i + 1) % k];
	void **p = (void **)(buf + order[0]);
	double *s = malloc(sizeof(double) * runs);
	for (size_t i = 0; i < k; i++)
		p = *p;
	for (int r = 0; r < runs; r++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC_RAW, &a);
		for (size_t i = 0; i < loads; i += 4) {
			p = *p;
			p = *p;
			p = *p;
			p = *p;
		}
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
		s[r] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)loads;
	}
	double mean = 0, ss = 0;
	for (int r = 0; r < runs; r++)
		mean += s[r] / runs;
	for (int r = 0; r < runs; r++)
		ss += (s[r] - mean) * (s[r] - mean);
	qsort(s, runs, sizeof(double), cmp);
	printf("{\"median_ns\": %.4f, \"cv\": %.4f, \"sink\": %d}\n", s[runs / 2],
	       runs > 1 ? sqrt(ss / (runs - 1)) / mean : 0, p != 0);
	return 0;
}
