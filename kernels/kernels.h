/* numabench: inner loops only. No policy, no allocation, no timing. */
#ifndef NB_KERNELS_H
#define NB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define NB_LINE 64

/*
 * Pointer chase. Lay a single cycle through one cache line per `stride` bytes of buf (len
 * bytes), in random order inside TLB-locality groups of `group` bytes (groups themselves
 * visited in random order), as Google's multichase does. The random order defeats the stream
 * prefetchers; the stride (256 B by default in the latency bench, multichase's default) keeps
 * the adjacent-line and spatial prefetchers from turning part of the loads into hits, which a
 * 64 B stride allows; the groups bound TLB misses so the figure is memory latency, not
 * page-walk latency. stride is a power of two >= NB_LINE. Returns the start pointer, or NULL
 * (fewer than 2 links, or no memory). seed makes the permutation reproducible.
 */
void *nb_chase_build(void *buf, size_t len, size_t stride, size_t group, uint64_t seed);
/* Follow n links from p; returns the last pointer (so the chain cannot be optimized away). */
void *nb_chase_run(void *p, uint64_t n);

/* Stream kernels over doubles. Each declares bytes per element moved as the program sees
 * them (`bytes`) and as the memory system sees them (`traffic`, which adds the read of a
 * cache line that a normal store must allocate first: write-allocate). */
enum nb_stream_kind { NB_K_READ, NB_K_WRITE, NB_K_NTWRITE, NB_K_COPY, NB_K_TRIAD, NB_K_COUNT };
struct nb_stream_kernel {
	const char *name;
	int bytes;   /* per element, program view */
	int traffic; /* per element, with write-allocate */
	int flops;   /* per element */
	int arrays;  /* arrays used: 1 (a), 2 (a,b), 3 (a,b,c) */
	double (*fn)(double *a, const double *b, const double *c, size_t n, double s);
};
extern const struct nb_stream_kernel nb_stream_kernels[NB_K_COUNT];
const struct nb_stream_kernel *nb_stream_find(const char *name);

/* First touch: write one byte to every page of [p, p+len) with stride `page`. */
void nb_touch_pages(void *p, size_t len, size_t page);

#endif
