// The kernel table of each ISA level: what the generic code (Linear, LayerNorm) calls once it knows which
// level a packed matrix was made for, or which level is in force (cpu::active_isa()).
#pragma once

#include "fnet/cpu.hpp"
#include "fnet/detail/gemm/int8_args.hpp"
#include "fnet/detail/gemm/sgemm_args.hpp"
#include "fnet/detail/isa/avx2.hpp"
#include "fnet/detail/isa/avx512.hpp"
#include "fnet/detail/isa/avx512_vnni.hpp"

namespace fnet::detail {

struct IsaKernels {
  using Index = Eigen::Index;
  Isa isa;
  Index tile_rows, tile_cols;  // the GEMM micro-tile; tile_cols is also the packed panel width
  void (*sgemm_block)(const SgemmArgs&, Index row_begin, Index row_end, Index panel_begin, Index panel_end);
  void (*layer_norm_rows)(float* x, Index ldx, const float* add, Index ld_add, Index rows, Index n,
                          const float* gamma, const float* beta, float eps);
};

// The int8 kernels of one ISA level: per-row activation quantization and the u8·s8 GEMM.
struct Int8Kernels {
  using Index = Eigen::Index;
  const char* name;            // "avx512_vnni", "avx2"
  Index tile_rows, tile_cols;  // the micro-tile; tile_cols is also the packed panel width
  int weight_max;              // |q| ≤ weight_max keeps the kernel's products exact
  void (*quantize_rows)(const float* x, Index ldx, Index rows, Index k, Index kp, std::uint8_t* out, Index ldo,
                        float* scales);
  void (*gemm_block)(const Int8GemmArgs&, Index row_begin, Index row_end, Index panel_begin, Index panel_end);
};

// The int8 kernels for weights packed at level `isa`: AVX-512 VNNI where the CPU has it, else AVX2; nullptr
// for Isa::generic (plain C++ loops, gemm/int8_gemm.hpp).
inline const Int8Kernels* int8_kernels(Isa isa) {
#if FNET_HAVE_X86_KERNELS
  static const Int8Kernels avx2_kernels{"avx2", avx2::kInt8TileRows, avx2::kInt8TileCols, avx2::kInt8WeightMax,
                                        &avx2::quantize_rows, &avx2::int8_gemm_block};
  static const Int8Kernels vnni_kernels{"avx512_vnni", avx512_vnni::kInt8TileRows, avx512_vnni::kInt8TileCols,
                                        avx512_vnni::kInt8WeightMax, &avx512_vnni::quantize_rows,
                                        &avx512_vnni::int8_gemm_block};
  if (isa == Isa::avx512 && cpu::has_avx512_vnni()) return &vnni_kernels;
  if (isa != Isa::generic) return &avx2_kernels;
#else
  (void)isa;
#endif
  return nullptr;
}

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
