/* numabench: stream kernels (read, write, non-temporal write, copy, triad) and first touch. */
#include "kernels.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define NB_SSE2 1
#define NB_AVX2 1
#elif defined(__aarch64__)
/* Advanced SIMD (NEON) is part of every AArch64 cpu: no run-time choice is needed. */
#include <arm_neon.h>
#define NB_NEON 1
#endif

#ifdef NB_AVX2
/* AVX-512 versions (512-bit loads and stores), chosen before AVX2 where the cpu has AVX-512F
 * (NUMABENCH_VECTOR=avx2|sse2 caps the choice): STREAM built with -O3 -march=native vectorises
 * to 512 bits there, and on a Xeon one thread's read bandwidth was 10% higher with 512-bit
 * loads than with 256-bit ones (15.8 against 14.3 GB/s, same buffer, same cpu). Every array
 * the harness passes is 64-byte aligned and n is a multiple of 8: one 512-bit vector. */
#define AVX512 __attribute__((target("avx512f")))
static int use_avx512 = -1;
static int vector_cap(void)
{
	const char *e = getenv("NUMABENCH_VECTOR");
	if (!e || !*e || !strcmp(e, "auto"))
		return 3;
	return !strcmp(e, "avx2") ? 2 : !strcmp(e, "sse2") ? 1 : 3;
}
static bool have_avx512(void)
{
	if (use_avx512 < 0)
		use_avx512 = vector_cap() >= 3 && __builtin_cpu_supports("avx512f");
	return use_avx512;
}

AVX512 static double read_avx512(const double *a, size_t n)
{
	__m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		s0 = _mm512_add_pd(s0, _mm512_load_pd(a + i));
		s1 = _mm512_add_pd(s1, _mm512_load_pd(a + i + 8));
		s2 = _mm512_add_pd(s2, _mm512_load_pd(a + i + 16));
		s3 = _mm512_add_pd(s3, _mm512_load_pd(a + i + 24));
	}
	for (; i < n; i += 8)
		s0 = _mm512_add_pd(s0, _mm512_load_pd(a + i));
	return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
}

AVX512 static void write_avx512(double *a, size_t n, double s, bool nt)
{
	__m512d v = _mm512_set1_pd(s);
	if (nt) {
		for (size_t i = 0; i < n; i += 8)
			_mm512_stream_pd(a + i, v);
		_mm_sfence();
		return;
	}
	for (size_t i = 0; i < n; i += 8)
		_mm512_store_pd(a + i, v);
}

AVX512 static void copy_avx512(double *a, const double *b, size_t n)
{
	for (size_t i = 0; i < n; i += 8)
		_mm512_store_pd(a + i, _mm512_load_pd(b + i));
}

AVX512 static void triad_avx512(double *a, const double *b, const double *c, size_t n, double s)
{
	__m512d v = _mm512_set1_pd(s);
	for (size_t i = 0; i < n; i += 8)
		_mm512_store_pd(a + i, _mm512_add_pd(_mm512_load_pd(b + i),
						     _mm512_mul_pd(v, _mm512_load_pd(c + i))));
}

/* AVX2 versions (256-bit loads and stores), chosen at run time where the cpu has AVX2: a
 * STREAM built with -O3 -march=native uses the widest vectors, and one thread's bandwidth
 * depends on it. n is a multiple of 8, as for the SSE2 versions. */
#define AVX2 __attribute__((target("avx2")))
static int use_avx2 = -1;
static bool have_avx2(void)
{
	if (use_avx2 < 0)
		use_avx2 = vector_cap() >= 2 && __builtin_cpu_supports("avx2");
	return use_avx2;
}

AVX2 static double read_avx2(const double *a, size_t n)
{
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		s0 = _mm256_add_pd(s0, _mm256_load_pd(a + i));
		s1 = _mm256_add_pd(s1, _mm256_load_pd(a + i + 4));
		s2 = _mm256_add_pd(s2, _mm256_load_pd(a + i + 8));
		s3 = _mm256_add_pd(s3, _mm256_load_pd(a + i + 12));
	}
	for (; i < n; i += 4) /* n is a multiple of 8 */
		s0 = _mm256_add_pd(s0, _mm256_load_pd(a + i));
	__m256d t = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
	double out[4];
	_mm256_storeu_pd(out, t);
	return out[0] + out[1] + out[2] + out[3];
}

AVX2 static void write_avx2(double *a, size_t n, double s, bool nt)
{
	__m256d v = _mm256_set1_pd(s);
	if (nt) {
		for (size_t i = 0; i < n; i += 8) {
			_mm256_stream_pd(a + i, v);
			_mm256_stream_pd(a + i + 4, v);
		}
		_mm_sfence();
		return;
	}
	for (size_t i = 0; i < n; i += 8) {
		_mm256_store_pd(a + i, v);
		_mm256_store_pd(a + i + 4, v);
	}
}

AVX2 static void copy_avx2(double *a, const double *b, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		_mm256_store_pd(a + i, _mm256_load_pd(b + i));
		_mm256_store_pd(a + i + 4, _mm256_load_pd(b + i + 4));
	}
}

AVX2 static void triad_avx2(double *a, const double *b, const double *c, size_t n, double s)
{
	__m256d v = _mm256_set1_pd(s);
	for (size_t i = 0; i < n; i += 8) {
		_mm256_store_pd(a + i, _mm256_add_pd(_mm256_load_pd(b + i),
						     _mm256_mul_pd(v, _mm256_load_pd(c + i))));
		_mm256_store_pd(a + i + 4,
				_mm256_add_pd(_mm256_load_pd(b + i + 4),
					      _mm256_mul_pd(v, _mm256_load_pd(c + i + 4))));
	}
}
#endif

/* n is a multiple of 8 (the harness sizes arrays so); four independent accumulators keep the
 * adds off the critical path so the loop is bound by loads, not by add latency. */
static double k_read(double *a, const double *b, const double *c, size_t n, double s)
{
	(void)b, (void)c, (void)s;
#ifdef NB_AVX2
	if (have_avx512())
		return read_avx512(a, n);
	if (have_avx2())
		return read_avx2(a, n);
#endif
#ifdef NB_SSE2
	__m128d s0 = _mm_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
	for (size_t i = 0; i < n; i += 8) {
		s0 = _mm_add_pd(s0, _mm_load_pd(a + i));
		s1 = _mm_add_pd(s1, _mm_load_pd(a + i + 2));
		s2 = _mm_add_pd(s2, _mm_load_pd(a + i + 4));
		s3 = _mm_add_pd(s3, _mm_load_pd(a + i + 6));
	}
	__m128d t = _mm_add_pd(_mm_add_pd(s0, s1), _mm_add_pd(s2, s3));
	double out[2];
	_mm_storeu_pd(out, t);
	return out[0] + out[1];
#elif defined(NB_NEON)
	float64x2_t s0 = vdupq_n_f64(0), s1 = s0, s2 = s0, s3 = s0;
	for (size_t i = 0; i < n; i += 8) {
		s0 = vaddq_f64(s0, vld1q_f64(a + i));
		s1 = vaddq_f64(s1, vld1q_f64(a + i + 2));
		s2 = vaddq_f64(s2, vld1q_f64(a + i + 4));
		s3 = vaddq_f64(s3, vld1q_f64(a + i + 6));
	}
	return vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
#else
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (size_t i = 0; i < n; i += 4) {
		s0 += a[i];
		s1 += a[i + 1];
		s2 += a[i + 2];
		s3 += a[i + 3];
	}
	return s0 + s1 + s2 + s3;
#endif
}

static double k_write(double *a, const double *b, const double *c, size_t n, double s)
{
	(void)b, (void)c;
#ifdef NB_AVX2
	if (have_avx512()) {
		write_avx512(a, n, s, false);
		return a[0];
	}
	if (have_avx2()) {
		write_avx2(a, n, s, false);
		return a[0];
	}
#endif
#ifdef NB_SSE2
	__m128d v = _mm_set1_pd(s);
	for (size_t i = 0; i < n; i += 8) {
		_mm_store_pd(a + i, v);
		_mm_store_pd(a + i + 2, v);
		_mm_store_pd(a + i + 4, v);
		_mm_store_pd(a + i + 6, v);
	}
#elif defined(NB_NEON)
	float64x2_t v = vdupq_n_f64(s);
	for (size_t i = 0; i < n; i += 8) {
		vst1q_f64(a + i, v);
		vst1q_f64(a + i + 2, v);
		vst1q_f64(a + i + 4, v);
		vst1q_f64(a + i + 6, v);
	}
#else
	for (size_t i = 0; i < n; i++)
		a[i] = s;
#endif
	return a[0];
}

static double k_ntwrite(double *a, const double *b, const double *c, size_t n, double s)
{
	(void)b, (void)c;
#ifdef NB_AVX2
	if (have_avx512()) {
		write_avx512(a, n, s, true);
		return s;
	}
	if (have_avx2()) {
		write_avx2(a, n, s, true);
		return s;
	}
#endif
#ifdef NB_SSE2
	__m128d v = _mm_set1_pd(s);
	for (size_t i = 0; i < n; i += 8) {
		_mm_stream_pd(a + i, v);
		_mm_stream_pd(a + i + 2, v);
		_mm_stream_pd(a + i + 4, v);
		_mm_stream_pd(a + i + 6, v);
	}
	_mm_sfence();
#elif defined(NB_NEON)
	/* STNP: the store-pair with a non-temporal hint, the AArch64 counterpart of MOVNTPD. */
	float64x2_t v = vdupq_n_f64(s);
	for (size_t i = 0; i < n; i += 8) {
		__asm__ volatile("stnp %q1, %q1, [%0]\n\tstnp %q1, %q1, [%0, #32]"
				 :
				 : "r"(a + i), "w"(v)
				 : "memory");
	}
	__asm__ volatile("dmb ishst" ::: "memory");
#elif defined(__clang__)
	for (size_t i = 0; i < n; i++)
		__builtin_nontemporal_store(s, &a[i]);
#else
	for (size_t i = 0; i < n; i++)
		a[i] = s;
#endif
	return s;
}

static double k_copy(double *a, const double *b, const double *c, size_t n, double s)
{
	(void)c, (void)s;
#ifdef NB_AVX2
	if (have_avx512()) {
		copy_avx512(a, b, n);
		return a[0];
	}
	if (have_avx2()) {
		copy_avx2(a, b, n);
		return a[0];
	}
#endif
#ifdef NB_SSE2
	for (size_t i = 0; i < n; i += 8) {
		_mm_store_pd(a + i, _mm_load_pd(b + i));
		_mm_store_pd(a + i + 2, _mm_load_pd(b + i + 2));
		_mm_store_pd(a + i + 4, _mm_load_pd(b + i + 4));
		_mm_store_pd(a + i + 6, _mm_load_pd(b + i + 6));
	}
#elif defined(NB_NEON)
	for (size_t i = 0; i < n; i += 8) {
		vst1q_f64(a + i, vld1q_f64(b + i));
		vst1q_f64(a + i + 2, vld1q_f64(b + i + 2));
		vst1q_f64(a + i + 4, vld1q_f64(b + i + 4));
		vst1q_f64(a + i + 6, vld1q_f64(b + i + 6));
	}
#else
	memcpy(a, b, n * sizeof(double));
#endif
	return a[0];
}

static double k_triad(double *a, const double *b, const double *c, size_t n, double s)
{
#ifdef NB_AVX2
	if (have_avx512()) {
		triad_avx512(a, b, c, n, s);
		return a[0];
	}
	if (have_avx2()) {
		triad_avx2(a, b, c, n, s);
		return a[0];
	}
#endif
#ifdef NB_SSE2
	__m128d v = _mm_set1_pd(s);
	for (size_t i = 0; i < n; i += 4) {
		_mm_store_pd(a + i,
			     _mm_add_pd(_mm_load_pd(b + i), _mm_mul_pd(v, _mm_load_pd(c + i))));
		_mm_store_pd(a + i + 2, _mm_add_pd(_mm_load_pd(b + i + 2),
						   _mm_mul_pd(v, _mm_load_pd(c + i + 2))));
	}
#elif defined(NB_NEON)
	for (size_t i = 0; i < n; i += 4) {
		vst1q_f64(a + i, vaddq_f64(vld1q_f64(b + i), vmulq_n_f64(vld1q_f64(c + i), s)));
		vst1q_f64(a + i + 2,
			  vaddq_f64(vld1q_f64(b + i + 2), vmulq_n_f64(vld1q_f64(c + i + 2), s)));
	}
#else
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] + s * c[i];
#endif
	return a[0];
}

const struct nb_stream_kernel nb_stream_kernels[NB_K_COUNT] = {
    [NB_K_READ] = {"read", 8, 8, 1, 1, k_read},
    [NB_K_WRITE] = {"write", 8, 16, 0, 1, k_write},
    [NB_K_NTWRITE] = {"ntwrite", 8, 8, 0, 1, k_ntwrite},
    [NB_K_COPY] = {"copy", 16, 24, 0, 2, k_copy},
    [NB_K_TRIAD] = {"triad", 24, 32, 2, 3, k_triad},
};

const char *nb_stream_vector(void)
{
#ifdef NB_AVX2
	if (have_avx512())
		return "avx512";
	if (have_avx2())
		return "avx2";
#endif
#if defined(NB_SSE2)
	return "sse2";
#elif defined(NB_NEON)
	return "neon";
#else
	return "scalar";
#endif
}

const struct nb_stream_kernel *nb_stream_find(const char *name)
{
	for (int i = 0; i < NB_K_COUNT; i++)
		if (!strcmp(nb_stream_kernels[i].name, name))
			return &nb_stream_kernels[i];
	return NULL;
}

void nb_touch_pages(void *p, size_t len, size_t page)
{
	volatile char *c = p;
	for (size_t off = 0; off < len; off += page)
		c[off] = 1;
}
