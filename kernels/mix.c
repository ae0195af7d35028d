/* numabench: read/write mixes (MLC-style traffic types) and cache-to-cache transfer loops. */
#include "kernels.h"

#if defined(__x86_64__)
#include <emmintrin.h>
#define NB_SSE2 1
#endif

const struct nb_mix nb_mixes[NB_MIX_COUNT] = {
    [NB_MIX_READ] = {"read", 1, 0, 0},	     [NB_MIX_R3W1] = {"r3w1", 3, 1, 0},
    [NB_MIX_R2W1] = {"r2w1", 2, 1, 0},	     [NB_MIX_R1W1] = {"r1w1", 1, 1, 0},
    [NB_MIX_NTWRITE] = {"ntwrite", 0, 1, 1},
};

double nb_mix_traffic_per_line(const struct nb_mix *m)
{
	double w = m->nt ? 64.0 : 128.0;
	return (64.0 * m->reads + w * m->writes) / (m->reads + m->writes);
}

static inline void spin(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

double nb_mix_run(void *buf, size_t lines, const struct nb_mix *m, unsigned delay)
{
	char *p = buf;
	size_t step = (size_t)(m->reads + m->writes);
	unsigned pause = delay * (unsigned)step;
#ifdef NB_SSE2
	__m128d acc = _mm_setzero_pd(), v = _mm_set1_pd(1.0);
	for (size_t l = 0; l + step <= lines; l += step) {
		double *d = (double *)(p + l * NB_LINE);
		for (int r = 0; r < m->reads; r++, d += 8) {
			acc = _mm_add_pd(acc, _mm_load_pd(d));
			acc = _mm_add_pd(acc, _mm_load_pd(d + 2));
			acc = _mm_add_pd(acc, _mm_load_pd(d + 4));
			acc = _mm_add_pd(acc, _mm_load_pd(d + 6));
		}
		for (int w = 0; w < m->writes; w++, d += 8) {
			if (m->nt) {
				_mm_stream_pd(d, v);
				_mm_stream_pd(d + 2, v);
				_mm_stream_pd(d + 4, v);
				_mm_stream_pd(d + 6, v);
			} else {
				_mm_store_pd(d, v);
				_mm_store_pd(d + 2, v);
				_mm_store_pd(d + 4, v);
				_mm_store_pd(d + 6, v);
			}
		}
		if (pause)
			spin(pause);
	}
	if (m->nt)
		_mm_sfence();
	double out[2];
	_mm_storeu_pd(out, acc);
	return out[0] + out[1];
#else
	double acc = 0;
	for (size_t l = 0; l + step <= lines; l += step) {
		double *d = (double *)(p + l * NB_LINE);
		for (int r = 0; r < m->reads; r++, d += 8)
			for (int k = 0; k < 8; k++)
				acc += d[k];
		for (int w = 0; w < m->writes; w++, d += 8)
			for (int k = 0; k < 8; k++)
				d[k] = 1.0;
		if (pause)
			spin(pause);
	}
	return acc;
#endif
}

void nb_c2c_prepare(void *start, uint64_t n, int modified)
{
	void **q = start;
	for (uint64_t i = 0; i < n; i++) {
		void *next = *(void *volatile *)q;
		if (modified)
			*(void *volatile *)q = next;
		q = next;
	}
}

void nb_c2c_flush(void *p, size_t len)
{
#ifdef NB_SSE2
	for (size_t off = 0; off < len; off += NB_LINE)
		_mm_clflush((char *)p + off);
	_mm_mfence();
#elif defined(__aarch64__)
	/* DC CIVAC: clean and invalidate to the point of coherency (EL0 may use it on Linux). */
	for (size_t off = 0; off < len; off += NB_LINE)
		__asm__ volatile("dc civac, %0" ::"r"((char *)p + off) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
#else
	(void)p, (void)len;
#endif
}

void nb_pingpong(volatile uint64_t *w, int side, uint64_t rounds)
{
	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t v;
		while (((v = *w) & 1) != (uint64_t)side) {
#ifdef NB_SSE2
			_mm_pause();
#elif defined(__aarch64__)
			__asm__ volatile("yield" ::: "memory");
#endif
		}
		*w = v + 1;
	}
}
