// The AVX2 + FMA kernels (x86-64-v3): 8-lane vectors, 16 ymm registers. Compiled into every x86-64
// program through a target region; called only on CPUs that have AVX2 and FMA (dispatch.hpp).
#pragma once

#include "fnet/detail/isa/target.hpp"

#if FNET_HAVE_X86_KERNELS
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

#include "fnet/detail/gemm/sgemm_args.hpp"

FNET_ISA_BEGIN_AVX2
namespace fnet::detail::avx2 {

struct Simd {
  using V = __m256;
  static constexpr int lanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float v) { return _mm256_set1_ps(v); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static __m256i first_lanes(int count) {  // lanes [0, count) all ones
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load_partial(const float* p, int count) { return _mm256_maskload_ps(p, first_lanes(count)); }
  static void store_partial(float* p, V v, int count) { _mm256_maskstore_ps(p, first_lanes(count), v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }   // a·b + c
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); } // c − a·b
  static V round(V v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V exp2i(V n) {  // 2^n for integral n in [-126, 127], built in the exponent field
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static float sum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

// Micro-tile: 4 rows × 3 vectors (24 columns) = 12 accumulators + 3 for W + 1 broadcast of 16 registers;
// faster than 6 × 2 (fewer loads per FMA), measured on AVX2 code (docs/benchmarks.md).
constexpr int kTileRows = 4;
constexpr int kTileVectors = 3;

#include "fnet/detail/isa/kernels.inc"

}  // namespace fnet::detail::avx2
FNET_ISA_END

#endif  // FNET_HAVE_X86_KERNELS
