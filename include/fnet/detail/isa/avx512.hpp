// The AVX-512 kernels (x86-64-v4): 16-lane vectors, 32 zmm registers, mask registers for the tails.
// Compiled into every x86-64 program through a target region (FNET_ISA_BEGIN_AVX512: `#pragma GCC
// target("avx512f,...")` or clang's equivalent), whatever -march says; called only after runtime
// dispatch found AVX-512 F/BW/DQ/VL on the CPU and OS (cpu.hpp: __builtin_cpu_supports; dispatch.hpp).
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

#include "fnet/detail/gemm/sgemm_args.hpp"

FNET_ISA_BEGIN_AVX512
namespace fnet::detail::avx512 {

struct Simd {
  using V = __m512;
  static constexpr int lanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float v) { return _mm512_set1_ps(v); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __mmask16 first_lanes(int count) { return static_cast<__mmask16>((1u << count) - 1u); }
  static V load_partial(const float* p, int count) { return _mm512_maskz_loadu_ps(first_lanes(count), p); }
  static void store_partial(float* p, V v, int count) { _mm512_mask_storeu_ps(p, first_lanes(count), v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }   // a·b + c
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); } // c − a·b
  static V round(V v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V reciprocal(V v) {  // 1/v for v in [1, 2]: rcp14 (14 bits) and one Newton step (full precision)
    const V r = _mm512_rcp14_ps(v);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(v, r, _mm512_set1_ps(2.0f)));
  }
  static V select_negative(V sign, V if_negative, V otherwise) {
    return _mm512_mask_blend_ps(_mm512_movepi32_mask(_mm512_castps_si512(sign)), otherwise, if_negative);
  }
  static V exp2i(V n) {  // 2^n for integral n in [-126, 127], built in the exponent field
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static float sum(V v) { return _mm512_reduce_add_ps(v); }
  static float max_of(V v) { return _mm512_reduce_max_ps(v); }
  static V abs(V v) { return _mm512_abs_ps(v); }

  // int32 lanes, for the int8 kernels (avx512_vnni.hpp adds the dot product)
  using VI = __m512i;
  static VI izero() { return _mm512_setzero_si512(); }
  static VI iset1(std::int32_t v) { return _mm512_set1_epi32(v); }
  static VI iload(const void* p) { return _mm512_loadu_si512(p); }
  static VI iadd(VI a, VI b) { return _mm512_add_epi32(a, b); }
  static VI isub(VI a, VI b) { return _mm512_sub_epi32(a, b); }
  static V to_float(VI v) { return _mm512_cvtepi32_ps(v); }
  static VI round_to_int(V v) { return _mm512_cvtps_epi32(v); }  // round half to even (MXCSR default)
  static VI broadcast4(const std::uint8_t* p) {  // 4 bytes into every lane
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  static void istore_first(std::int32_t* p, VI v, int count) { _mm512_mask_storeu_epi32(p, first_lanes(count), v); }
  // `count` lanes (values 0 … 255) as bytes.
  // (Narrowing in a register and storing the 16 bytes: the masked narrowing store vpmovusdb to memory
  // measured several times slower.)
  static void store_u8(std::uint8_t* p, VI v, int count) {
    const __m128i bytes = _mm512_cvtusepi32_epi8(v);
    if (count == lanes)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), bytes);
    else
      _mm_mask_storeu_epi8(p, first_lanes(count), bytes);
  }
};

// Micro-tile: 8 rows × 3 vectors (48 columns) = 24 accumulators + 3 for W + 1 broadcast of 32
// registers; the fastest of 6×64, 8×48, 12×32 and 14×32 measured (docs/benchmarks.md).
constexpr int kTileRows = 8;
constexpr int kTileVectors = 3;

#include "fnet/detail/isa/kernels.inc"

}  // namespace fnet::detail::avx512
FNET_ISA_END

#endif  // FNET_HAVE_X86_KERNELS
