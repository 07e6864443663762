// The arguments of one fp32 GEMM with packed weights and a fused write-back, shared by the ISA kernels
// (isa/kernels.inc) and the driver that splits the work over threads (gemm/packed_gemm.hpp):
//
//   y = act(x · Wᵀ + bias) + residual
//
// x: m×k row-major (row stride ldx); W: n×k, packed into panels of `panel` columns (PackedMatrix);
// y: m×n (row stride ldy). bias (n values) and residual (m×n, row stride ldr) may be null.
#pragma once

#include <Eigen/Core>

namespace fnet::detail {

// Activations the GEMM's write-back applies. (Exact, erf-based GELU is applied after the GEMM.)
enum class FusedActivation { none, relu, gelu_tanh };

struct SgemmArgs {
  using Index = Eigen::Index;
  Index m = 0, n = 0, k = 0;
  const float* x = nullptr;
  Index ldx = 0;
  const float* packed = nullptr;  // panels of k × panel floats, zero-padded past column n
  float* y = nullptr;
  Index ldy = 0;
  const float* bias = nullptr;
  const float* residual = nullptr;
  Index ldr = 0;
  FusedActivation activation = FusedActivation::none;
  Index kc = 0;            // depth of one pass over k (cache blocking; see packed_gemm.hpp)
  Index block_panels = 0;  // panels per block of W kept in L2 while the rows stream past it
};

}  // namespace fnet::detail
