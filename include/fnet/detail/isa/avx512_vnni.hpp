// The AVX-512 VNNI int8 kernels: vpdpbusd multiplies 4 unsigned by 4 signed bytes per int32 lane and adds
// the sum to the lane, without any intermediate saturation, so weights use all of int8 (kInt8WeightMax
// = 127). Compiled into every x86-64 program through its own target region (FNET_ISA_BEGIN_AVX512VNNI:
// `#pragma GCC target("avx512vnni,...")` or clang's equivalent) so that the fp32 AVX-512 code never uses
// VNNI; called only after runtime dispatch found AVX512_VNNI (cpu.hpp: __builtin_cpu_supports).
#pragma once

#include "fnet/detail/isa/avx512.hpp"

#if FNET_HAVE_X86_KERNELS

FNET_ISA_BEGIN_AVX512VNNI
namespace fnet::detail::avx512_vnni {

struct Simd : avx512::Simd {
  static VI dot_u8s8(VI acc, VI a, VI w) { return _mm512_dpbusd_epi32(acc, a, w); }
};

// The shared vector helpers of the AVX-512 fp32 kernels (exp, gelu_tanh, tail loads and stores).
using Index = Eigen::Index;
using V = Simd::V;
constexpr int kLanes = Simd::lanes;
using avx512::gelu_tanh;
using avx512::load_first;
using avx512::store_first;

// int8 micro-tile: 8 rows × 3 vectors (48 columns × 4 bytes of k) = 24 accumulators + 3 for W + 1
// broadcast of 32 registers, as the fp32 tile.
constexpr int kInt8TileRows = 8;
constexpr int kInt8TileVectors = 3;
constexpr int kInt8WeightMax = 127;

#include "fnet/detail/isa/int8_kernels.inc"

}  // namespace fnet::detail::avx512_vnni
FNET_ISA_END

#endif  // FNET_HAVE_X86_KERNELS
