// The kernel table of each ISA level: what the generic code (Linear, LayerNorm) calls once it knows which
// level a packed matrix was made for, or which level is in force (cpu::active_isa()).
#pragma once

#include "fnet/cpu.hpp"
#include "fnet/detail/gemm/sgemm_args.hpp"
#include "fnet/detail/isa/avx2.hpp"
#include "fnet/detail/isa/avx512.hpp"

namespace fnet::detail {

struct IsaKernels {
  using Index = Eigen::Index;
  Isa isa;
  Index tile_rows, tile_cols;  // the GEMM micro-tile; tile_cols is also the packed panel width
  void (*sgemm_block)(const SgemmArgs&, Index row_begin, Index row_end, Index panel_begin, Index panel_end);
  void (*layer_norm_rows)(float* x, Index ldx, const float* add, Index ld_add, Index rows, Index n,
                          const float* gamma, const float* beta, float eps);
};

// The kernels of `isa`, or nullptr for Isa::generic (Eigen's compiled-in kernels are used instead).
inline const IsaKernels* isa_kernels(Isa isa) {
#if FNET_HAVE_X86_KERNELS
  static const IsaKernels avx2_kernels{Isa::avx2, avx2::kTileRows, avx2::kTileCols, &avx2::sgemm_block,
                                       &avx2::layer_norm_rows};
  static const IsaKernels avx512_kernels{Isa::avx512, avx512::kTileRows, avx512::kTileCols, &avx512::sgemm_block,
                                         &avx512::layer_norm_rows};
  if (isa == Isa::avx512) return &avx512_kernels;
  if (isa == Isa::avx2) return &avx2_kernels;
#else
  (void)isa;
#endif
  return nullptr;
}

}  // namespace fnet::detail
