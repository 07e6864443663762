// The driver of the int8 GEMM: quantizes the activations per row, then splits the output over threads
// as the fp32 driver does (packed_gemm.hpp) and runs the ISA kernel — or, for weights packed for
// Isa::generic, plain C++ loops with the same arithmetic (exact integers, the same rounding).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fnet/detail/gemm/int8_args.hpp"
#include "fnet/detail/gemm/packed_gemm.hpp"
#include "fnet/detail/gemm/quantized_matrix.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fnet::detail {

// The plain C++ quantization: the arithmetic of isa/int8_kernels.inc's quantize_rows, one value at a time.
inline void quantize_rows_generic(const float* x, Eigen::Index ldx, Eigen::Index rows, Eigen::Index k, Eigen::Index kp,
                                  std::uint8_t* out, Eigen::Index ldo, float* scales) {
  for (Eigen::Index r = 0; r < rows; ++r) {
    const float* row = x + r * ldx;
    float largest = 0;
    bool finite = true;
    for (Eigen::Index j = 0; j < k; ++j) {
      finite = finite && std::isfinite(row[j]);
      largest = std::max(largest, std::fabs(row[j]));
    }
    const float inverse = largest > 0 && finite ? 127.0f / largest : 0.0f;
    scales[r] = !finite ? std::numeric_limits<float>::quiet_NaN() : largest > 0 ? largest / 127.0f : 1.0f;
    for (Eigen::Index j = 0; j < k; ++j)
      out[r * ldo + j] = static_cast<std::uint8_t>(finite ? std::nearbyint(row[j] * inverse) + 128 : 128);
    for (Eigen::Index j = k; j < kp; ++j) out[r * ldo + j] = 128;
  }
}

// The plain C++ GEMM and write-back over weights packed with panel width 1 (row-major, k padded).
inline void int8_gemm_generic(const Int8GemmArgs& g) {
  for (Eigen::Index i = 0; i < g.m; ++i)
    for (Eigen::Index j = 0; j < g.n; ++j) {
      const std::uint8_t* a = g.x + i * g.ldx;
      const std::int8_t* b = g.packed + j * g.kp;
      std::int32_t acc = 0;
      for (Eigen::Index p = 0; p < g.kp; ++p) acc += std::int32_t(a[p]) * std::int32_t(b[p]);
      const std::int32_t exact = acc - g.compensation[j];
      if (g.raw) {
        g.raw[i * g.n + j] = exact;
        continue;
      }
      float v = static_cast<float>(exact) * (g.x_scale[i] * g.w_scale[j]);
      if (g.bias) v += g.bias[j];
      if (g.activation == FusedActivation::gelu_tanh) v = v / (1.0f + std::exp(-1.5957691216057308f * (v + 0.044715f * v * v * v)));
      if (g.activation == FusedActivation::relu) v = std::max(v, 0.0f);
      if (g.residual) v += g.residual[i * g.ldr + j];
      g.y[i * g.ldy + j] = v;
    }
}

// Runs `g` (its x, x_scale, block_panels filled in here): quantizes the m rows of `input` (k floats each,
// row stride ld_input) into `quantized` (m × kp bytes) and `scales` (m floats), then the GEMM, on `threads`
// threads.
inline void run_int8_gemm(Int8GemmArgs g, const QuantizedMatrix& w, const float* input, Eigen::Index ld_input,
                          std::uint8_t* quantized, float* scales, int threads) {
  using Index = Eigen::Index;
  g.kp = w.padded_cols(), g.n = w.rows();
  g.packed = w.data(), g.compensation = w.compensation(), g.w_scale = w.scales();
  g.x = quantized, g.ldx = g.kp, g.x_scale = scales;
  const Int8Kernels* kernels = w.kernels();
  if (!kernels) {
    quantize_rows_generic(input, ld_input, g.m, w.cols(), g.kp, quantized, g.kp, scales);
    return int8_gemm_generic(g);
  }
  g.block_panels = std::max<Index>(1, cache_sizes().l2 / 4 / (g.kp * kernels->tile_cols));
  const Index tile_rows = (g.m + kernels->tile_rows - 1) / kernels->tile_rows;
  const Index panels = (g.n + kernels->tile_cols - 1) / kernels->tile_cols;
  const double macs = double(g.m) * double(g.n) * double(g.kp);
  const int team = macs < 8e6 ? 1 : static_cast<int>(std::min<Index>(threads, tile_rows * panels));
  if (team <= 1) {  // stay out of OpenMP: even a one-thread parallel region allocates
    kernels->quantize_rows(input, ld_input, g.m, w.cols(), g.kp, quantized, g.kp, scales);
    kernels->gemm_block(g, 0, g.m, 0, panels);
    return;
  }
#ifdef _OPENMP
  const GridSplit split = split_tiles(tile_rows, panels, team);
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num(), actual = omp_get_num_threads();
    const Index begin = g.m * t / actual, end = g.m * (t + 1) / actual;
    kernels->quantize_rows(input + begin * ld_input, ld_input, end - begin, w.cols(), g.kp, quantized + begin * g.kp,
                           g.kp, scales + begin);
#pragma omp barrier
    // The team may be smaller than asked (nested parallelism, OMP_THREAD_LIMIT): then a thread takes
    // several of the `team` parts.
    for (int part = t; part < team; part += actual) {
      const TileRange r = split.part(part, g.m, kernels->tile_rows);
      if (r.row_begin < r.row_end && r.panel_begin < r.panel_end)
        kernels->gemm_block(g, r.row_begin, r.row_end, r.panel_begin, r.panel_end);
    }
  }
#else
  kernels->quantize_rows(input, ld_input, g.m, w.cols(), g.kp, quantized, g.kp, scales);
  kernels->gemm_block(g, 0, g.m, 0, panels);
#endif
}

}  // namespace fnet::detail
