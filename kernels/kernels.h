/* numabench: inner loops only. No policy, no timing, no allocation of the memory measured (the
 * caller places it); nb_chase_build mallocs, then frees, the scratch of its permutation. */
#ifndef NB_KERNELS_H
#define NB_KERNELS_H

#include <stdbool.h>
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
/* The vector width the stream kernels use on this cpu: "avx512", "avx2", "sse2", "neon" or
 * "scalar" (the widest the cpu has, capped by NUMABENCH_VECTOR=avx2|sse2 on x86). */
const char *nb_stream_vector(void);

/*
 * Read/write mixes (loaded latency injectors, bandwidth mixes), as Intel MLC's -W traffic types:
 * a step of `reads + writes` cache lines of which the first `reads` are read (the whole line,
 * SSE2 loads) and the rest written (the whole line; non-temporal stores when `nt`). Traffic
 * per line as the memory system sees it: a read 64 B, a temporal write 128 B (the
 * write-allocate read and the write-back), a non-temporal write 64 B.
 */
enum nb_mix_kind {
	NB_MIX_READ,
	NB_MIX_R3W1,
	NB_MIX_R2W1,
	NB_MIX_R1W1,
	NB_MIX_NTWRITE,
	NB_MIX_COUNT
};
struct nb_mix {
	const char *name;
	int reads, writes; /* lines per step */
	int nt;		   /* writes are non-temporal */
};
extern const struct nb_mix nb_mixes[NB_MIX_COUNT];
/* Bytes of traffic per line of the mix, on average (program view: 64). */
double nb_mix_traffic_per_line(const struct nb_mix *m);
/*
 * One pass over `lines` cache lines of buf (64 B aligned) with mix m; after every step, an
 * idle spin of `delay` iterations per line of the step (the injection delay; 0: none).
 * Returns a value depending on the loads so they cannot be optimized away.
 */
double nb_mix_run(void *buf, size_t lines, const struct nb_mix *m, unsigned delay);

/*
 * Cache-to-cache transfers (Intel MLC --c2c_latency, multichase pingpong).
 * nb_c2c_prepare: walk the chain of n links from start (built by nb_chase_build) and leave
 * every line in this core's cache: read (clean: E/S state) or rewritten with its own value
 * (modified: M state). nb_c2c_flush: clflush every line of [p, p+len), so no cache holds
 * them (x86-64; a no-op elsewhere). nb_pingpong: side 0 or 1 of a ping-pong on one word:
 * wait until *w is odd (side 1) or even (side 0) and increment it, `rounds` times; each
 * wait ends with a load of a line modified in the other core's cache.
 */
void nb_c2c_prepare(void *start, uint64_t n, int modified);
void nb_c2c_flush(void *p, size_t len);
void nb_pingpong(volatile uint64_t *w, int side, uint64_t rounds);

/*
 * The counter self-check's loop: exactly NB_INSN_PER_ITER user-mode instructions per iteration
 * (x86-64 and AArch64 inline assembly: add, add, sub, branch), n >= 1 iterations.
 * nb_insn_loop_exact() is false where no such loop is written (then nothing is run).
 */
#define NB_INSN_PER_ITER 4
bool nb_insn_loop_exact(void);
void nb_insn_loop(uint64_t n);

/* First touch: write one byte to every page of [p, p+len) with stride `page`. */
void nb_touch_pages(void *p, size_t len, size_t page);

#endif
