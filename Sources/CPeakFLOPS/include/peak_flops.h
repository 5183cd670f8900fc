#ifndef LOUPE_PEAK_FLOPS_H
#define LOUPE_PEAK_FLOPS_H
#include <stdint.h>

/// Runs `iterations` rounds of independent fused multiply-adds on the widest vector unit the
/// CPU has (AVX2+FMA when present, else SSE) and returns the number of floating-point
/// operations performed. Used to measure the machine's peak single-precision throughput.
uint64_t loupe_fma_burn(uint64_t iterations, float *sink);

/// 1 when the CPU has AVX2 and FMA, else 0.
int loupe_has_avx2_fma(void);

#endif
