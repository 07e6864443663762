// The AVX2 + FMA kernels (x86-64-v3): 8-lane vectors, 16 ymm registers; fp32 GEMM, LayerNorm and the
// int8 GEMM (vpmaddubsw). Compiled into every x86-64 program through a target region; called only on
// CPUs that have AVX2 and FMA (dispatch.hpp).
#pragma once

#include "fnet/detail/isa/target.hpp"

#if FNET_HAVE_X86_KERNELS
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "fnet/detail/gemm/int8_args.hpp"
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
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }   // a·b + c
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); } // c − a·b
  static V round(V v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V reciprocal(V v) {  // 1/v for v in [1, 2]: rcp (12 bits) and one Newton step (about 23 bits)
    const V r = _mm256_rcp_ps(v);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(v, r, _mm256_set1_ps(2.0f)));
  }
  static V select_negative(V sign, V if_negative, V otherwise) { return _mm256_blendv_ps(otherwise, if_negative, sign); }
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
  static float max_of(V v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static V abs(V v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

  // int32 lanes, for the int8 kernels
  using VI = __m256i;
  static VI izero() { return _mm256_setzero_si256(); }
  static VI iset1(std::int32_t v) { return _mm256_set1_epi32(v); }
  static VI iload(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static VI iadd(VI a, VI b) { return _mm256_add_epi32(a, b); }
  static VI isub(VI a, VI b) { return _mm256_sub_epi32(a, b); }
  static V to_float(VI v) { return _mm256_cvtepi32_ps(v); }
  static VI round_to_int(V v) { return _mm256_cvtps_epi32(v); }  // round half to even (MXCSR default)
  static VI broadcast4(const std::uint8_t* p) {  // 4 bytes into every lane
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
  }
  // acc + Σ_t a[4l+t]·w[4l+t] per lane l, a unsigned and w signed bytes. vpmaddubsw adds byte products in
  // pairs into int16 with saturation: exact only while |a·w + a'·w'| ≤ 32767, i.e. |w| ≤ 64 for any a ≤ 255
  // (kInt8WeightMax = 63: the weights are quantized to 7 bits on this ISA level).
  static VI dot_u8s8(VI acc, VI a, VI w) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, w), _mm256_set1_epi16(1)));
  }
  static void istore_first(std::int32_t* p, VI v, int count) {
    if (count == lanes)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
    else
      _mm256_maskstore_epi32(p, first_lanes(count), v);
  }
  // `count` lanes (values 0 … 255) as bytes.
  static void store_u8(std::uint8_t* p, VI v, int count) {
    const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i bytes = _mm_packus_epi16(words, words);
    if (count == lanes) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(p), bytes);
    } else {
      alignas(16) std::uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
      std::memcpy(p, tmp, static_cast<std::size_t>(count));
    }
  }
};

// Micro-tile: 4 rows × 3 vectors (24 columns) = 12 accumulators + 3 for W + 1 broadcast of 16 registers;
// faster than 6 × 2 (fewer loads per FMA), measured on AVX2 code (docs/benchmarks.md).
constexpr int kTileRows = 4;
constexpr int kTileVectors = 3;

#include "fnet/detail/isa/kernels.inc"

// int8 micro-tile: 4 rows × 2 vectors (16 columns × 4 bytes of k) = 8 accumulators + 2 for W + 1
// broadcast + the vpmaddubsw/vpmaddwd temporaries and constant, of 16 registers.
constexpr int kInt8TileRows = 4;
constexpr int kInt8TileVectors = 2;
constexpr int kInt8WeightMax = 63;

#include "fnet/detail/isa/int8_kernels.inc"

}  // namespace fnet::detail::avx2
FNET_ISA_END

#endif  // FNET_HAVE_X86_KERNELS
