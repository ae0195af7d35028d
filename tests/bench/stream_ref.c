/* Reference STREAM-style bandwidth for `make bench`: a minimal, independent implementation of
 * the STREAM method (McCalpin) with pthreads. It shares no code with numabench.
 *
 * Kernels (STREAM's byte counting: what the kernel reads plus what it writes, no write-allocate):
 *   read   s += a[i]            8 B per element (not in STREAM; a plain sum)
 *   copy   a[i] = b[i]         16 B per element
 *   triad  a[i] = b[i] + q*c[i] 24 B per element
 * The arrays together make SIZE_BYTES (each array SIZE_BYTES / number of arrays), 4 KiB pages.
 * One thread per cpu of CPULIST, pinned; each thread first-touches its own contiguous slice of
 * every array and works on that slice only. The workers time themselves: a pass starts at a
 * barrier of the workers and lasts from the earliest start to the latest end (the slowest
 * thread, as STREAM's parallel loop); one untimed warm-up pass first. No other thread runs
 * meanwhile (the main thread only waits in join), so a thread that timed from outside cannot
 * be scheduled late on a busy cpu and see a pass shorter than it was.
 * Build without loop-to-memcpy conversion (-fno-tree-loop-distribute-patterns): glibc's memcpy
 * uses non-temporal stores for large copies, which is another kernel.
 *
 * Usage: stream_ref read|copy|triad SIZE_BYTES PASSES CPULIST (e.g. 0,1 or 0-3)
 * Prints JSON: best / median / worst GB/s (1e9 B/s) over PASSES timed passes and every sample. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MAXT 1024

struct thr {
	pthread_t th;
	int id, cpu, err;
	size_t n;
	double *a, *b, *c;
	double sum;
};

static const char *kernel;
static int nthreads, passes;
static pthread_barrier_t bar;
static double (*t_start)[MAXT], (*t_end)[MAXT]; /* [pass][thread] */

static void run_kernel(struct thr *t)
{
	double *restrict a = t->a;
	const double *restrict b = t->b, *restrict c = t->c;
	const double q = 3.0;
	size_t n = t->n;
	if (kernel[0] == 'r') {
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
		for (size_t i = 0; i < n; i += 8) {
			s0 += a[i];
			s1 += a[i + 1];
			s2 += a[i + 2];
			s3 += a[i + 3];
			s4 += a[i + 4];
			s5 += a[i + 5];
			s6 += a[i + 6];
			s7 += a[i + 7];
		}
		t->sum += s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
	} else if (kernel[0] == 'c') {
		for (size_t i = 0; i < n; i++)
			a[i] = b[i];
	} else {
		for (size_t i = 0; i < n; i++)
			a[i] = b[i] + q * c[i];
	}
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *worker(void *v)
{
	struct thr *t = v;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		t->err = 1;
	/* First touch by the owner. */
	for (size_t i = 0; i < t->n; i++) {
		t->a[i] = 1.0;
		if (t->b)
			t->b[i] = 2.0;
		if (t->c)
			t->c[i] = 0.5;
	}
	for (int p = 0; p <= passes; p++) { /* pass 0: warm-up */
		pthread_barrier_wait(&bar);
		t_start[p][t->id] = now_ns();
		run_kernel(t);
		t_end[p][t->id] = now_ns();
	}
	return NULL;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static int parse_cpus(const char *s, int *out)
{
	int n = 0;
	while (*s) {
		char *e;
		long lo = strtol(s, &e, 10), hi = lo;
		if (e == s)
			return -1;
		if (*e == '-')
			hi = strtol(e + 1, &e, 10);
		for (long c = lo; c <= hi && n < MAXT; c++)
			out[n++] = (int)c;
		if (*e == ',')
			e++;
		else if (*e)
			return -1;
		s = e;
	}
	return n;
}

static double *alloc(size_t bytes)
{
	void *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_NOHUGEPAGE);
	return p;
}

int main(int argc, char **argv)
{
	static int cpus[MAXT];
	static struct thr t[MAXT];
	if (argc != 5 ||
	    (strcmp(argv[1], "read") && strcmp(argv[1], "copy") && strcmp(argv[1], "triad"))) {
		fprintf(stderr, "usage: stream_ref read|copy|triad SIZE_BYTES PASSES CPULIST\n");
		return 2;
	}
	kernel = argv[1];
	size_t size = strtoull(argv[2], 0, 10);
	passes = atoi(argv[3]);
	nthreads = parse_cpus(argv[4], cpus);
	int arrays = kernel[0] == 'r' ? 1 : kernel[0] == 'c' ? 2 : 3;
	int bytes = kernel[0] == 'r' ? 8 : kernel[0] == 'c' ? 16 : 24;
	if (nthreads < 1 || passes < 1 || passes > 1000) {
		fprintf(stderr, "stream_ref: bad cpu list or passes\n");
		return 2;
	}
	/* Per array: a multiple of 4 KiB per thread (slices start on page boundaries). */
	size_t unit = 4096 * (size_t)nthreads, per_array = size / arrays / unit * unit;
	if (!per_array) {
		fprintf(stderr, "stream_ref: size too small\n");
		return 2;
	}
	double *arr[3] = {0, 0, 0};
	for (int i = 0; i < arrays; i++)
		if (!(arr[i] = alloc(per_array))) {
			perror("stream_ref: mmap");
			return 1;
		}
	size_t slice = per_array / nthreads / sizeof(double);
	pthread_barrier_init(&bar, NULL, nthreads);
	t_start = calloc(passes + 1, sizeof(*t_start));
	t_end = calloc(passes + 1, sizeof(*t_end));
	double *s = malloc(sizeof(double) * passes);
	if (!t_start || !t_end || !s) {
		fprintf(stderr, "stream_ref: out of memory\n");
		return 1;
	}
	for (int i = 0; i < nthreads; i++) {
		t[i].id = i;
		t[i].cpu = cpus[i];
		t[i].n = slice;
		t[i].a = arr[0] + slice * i;
		t[i].b = arr[1] ? arr[1] + slice * i : NULL;
		t[i].c = arr[2] ? arr[2] + slice * i : NULL;
		if (pthread_create(&t[i].th, NULL, worker, &t[i])) {
			perror("stream_ref: pthread_create");
			return 1;
		}
	}
	double sink = 0;
	int err = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].th, NULL);
		sink += t[i].sum;
		err |= t[i].err;
	}
	if (err) {
		fprintf(stderr, "stream_ref: a thread could not be pinned\n");
		return 1;
	}
	double elems = (double)slice * nthreads;
	for (int p = 1; p <= passes; p++) {
		double a = t_start[p][0], b = t_end[p][0];
		for (int i = 1; i < nthreads; i++) {
			a = t_start[p][i] < a ? t_start[p][i] : a;
			b = t_end[p][i] > b ? t_end[p][i] : b;
		}
		s[p - 1] = bytes * elems / (b - a); /* B/ns = GB/s */
	}
	printf("{\"kernel\": \"%s\", \"threads\": %d, \"bytes_per_element\": %d, "
	       "\"bytes_per_array\": %zu, \"samples\": [",
	       kernel, nthreads, bytes, per_array);
	for (int p = 0; p < passes; p++)
		printf("%s%.4f", p ? ", " : "", s[p]);
	qsort(s, passes, sizeof(double), cmp);
	printf("], \"best_gbs\": %.4f, \"median_gbs\": %.4f, \"worst_gbs\": %.4f, \"sink\": %d}\n",
	       s[passes - 1], s[passes / 2], s[0], sink != 1.5);
	return 0;
}
