// The arguments of one int8 GEMM with a dequantizing write-back, shared by the ISA kernels
// (isa/int8_kernels.inc) and the driver (gemm/int8_gemm.hpp):
//
//   y = act(s_x[i] · s_w[j] · (Σ_k (u_ik − 128) · q_jk) + bias_j) + residual_ij
//
// u: the activations quantized per row to u8 (zero point 128, so u − 128 is the symmetric int8 value),
// m rows of kp bytes (k rounded up to a multiple of 4; padding 128); q: the int8 weights, packed in panels
// (QuantizedMatrix). The kernels accumulate Σ u·q in int32 and subtract the precomputed 128·Σ_k q_jk.
#pragma once

#include <cstdint>

#include <Eigen/Core>

#include "fnet/detail/gemm/sgemm_args.hpp"

namespace fnet::detail {

struct Int8GemmArgs {
  using Index = Eigen::Index;
  Index m = 0, n = 0, kp = 0;
  const std::uint8_t* x = nullptr;  // m × kp quantized activations
  Index ldx = 0;                    // bytes between rows
  const float* x_scale = nullptr;   // m per-row scales
  const std::int8_t* packed = nullptr;
  const std::int32_t* compensation = nullptr;  // 128·Σ_k q_jk, padded to whole panels
  const float* w_scale = nullptr;              // per output channel, padded to whole panels
  float* y = nullptr;
  Index ldy = 0;
  const float* bias = nullptr;
  const float* residual = nullptr;
  Index ldr = 0;
  FusedActivation activation = FusedActivation::none;
  std::int32_t* raw = nullptr;  // tests: when set, Σ (u − 128)·q is stored here (m × n) instead of y
  Index block_panels = 0;
};

}  // namespace fnet::detail
