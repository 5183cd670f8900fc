#include "peak_flops.h"
#include <immintrin.h>

// Twelve independent accumulators cover the latency of two FMA pipes (4–5 cycles each).
__attribute__((target("avx2,fma")))
static uint64_t burn_avx2(uint64_t iterations, float *sink) {
    __m256 a[12];
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    for (uint64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
    }
    __m256 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    *sink = out[0];
    return iterations * 12 * 8 * 2;
}

static uint64_t burn_sse(uint64_t iterations, float *sink) {
    __m128 a[12];
    const __m128 x = _mm_set1_ps(0.999999f), y = _mm_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm_set1_ps((float)i);
    for (uint64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < 12; i++) a[i] = _mm_add_ps(_mm_mul_ps(a[i], x), y);
    }
    __m128 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm_add_ps(s, a[i]);
    float out[4];
    _mm_storeu_ps(out, s);
    *sink = out[0];
    return iterations * 12 * 4 * 2;
}

int loupe_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

uint64_t loupe_fma_burn(uint64_t iterations, float *sink) {
    return loupe_has_avx2_fma() ? burn_avx2(iterations, sink) : burn_sse(iterations, sink);
}
