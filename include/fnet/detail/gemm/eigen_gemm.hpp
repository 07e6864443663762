// y += x · Wᵀ on row-major buffers (x: m×k activations, W: n×k weights in PyTorch's Linear layout),
// computed by Eigen's own GEMM kernel with packing buffers that live as long as the Workspace.
//
// Why not `y.noalias() += x * W.transpose()`: Eigen then allocates its packing buffers on every call
// (they exceed its 128 KiB stack limit), which breaks the "no allocation in the steady state" rule.
// Calling the same kernel with a blocking object we keep gives identical arithmetic without the
// allocations. Multi-threading splits the output columns into contiguous chunks, one per thread, each
// with its own packing buffers; the chunks never share output memory, so no synchronisation is needed.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include <Eigen/Core>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fnet::detail {

template <class Scalar>
class LinearGemm {
  using Index = Eigen::Index;
  using Blocking =
      Eigen::internal::gemm_blocking_space<Eigen::RowMajor, Scalar, Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic>;
  // Row-major x times column-major view of W (Wᵀ), row-major result with unit inner stride.
  using Kernel = Eigen::internal::general_matrix_matrix_product<Index, Scalar, Eigen::RowMajor, false, Scalar,
                                                                Eigen::ColMajor, false, Eigen::RowMajor, 1>;

 public:
  LinearGemm(Index m, Index n, Index k, int threads) : m_(m), n_(n), k_(k), threads_(threads) {
    // Below a few MFLOP a second thread costs more than it saves; keep chunks SIMD-friendly (multiples of 16).
    const double flops = 2.0 * double(m) * double(n) * double(k);
    const Index max_chunks = std::max<Index>(1, std::min<Index>(threads, n / 16));
    const Index chunks = flops < 4e6 ? 1 : max_chunks;
    const Index step = ((n + chunks - 1) / chunks + 15) / 16 * 16;
    for (Index begin = 0; begin < n; begin += step) {
      const Index cols = std::min(step, n - begin);
      auto blocking = std::make_unique<Blocking>(m, cols, k, 1, true);
      blocking->allocateAll();
      chunks_.push_back({begin, cols, std::move(blocking)});
    }
  }

  bool matches(Index m, Index n, Index k, int threads) const {
    return m == m_ && n == n_ && k == k_ && threads == threads_;
  }

  // y(m×n, leading dim ldy) += x(m×k, ldx) · W(n×k, ldw)ᵀ
  void run(const Scalar* x, Index ldx, const Scalar* w, Index ldw, Scalar* y, Index ldy) {
    const int count = static_cast<int>(chunks_.size());
    // A serial product stays out of OpenMP entirely: even a one-thread parallel region allocates.
    if (count == 1) return run_chunk(chunks_.front(), x, ldx, w, ldw, y, ldy);
#ifdef _OPENMP
    // A plain parallel region, not `parallel for`: LLVM's libomp allocates in every worksharing loop. The
    // team may be smaller than asked (nested inside a caller's parallel region, OMP_THREAD_LIMIT).
#pragma omp parallel num_threads(count)
    for (int c = omp_get_thread_num(); c < count; c += omp_get_num_threads())
      run_chunk(chunks_[static_cast<std::size_t>(c)], x, ldx, w, ldw, y, ldy);
#else
    for (int c = 0; c < count; ++c) run_chunk(chunks_[static_cast<std::size_t>(c)], x, ldx, w, ldw, y, ldy);
#endif
  }

 private:
  struct Chunk {
    Index begin;
    Index cols;
    std::unique_ptr<Blocking> blocking;
  };
  void run_chunk(Chunk& chunk, const Scalar* x, Index ldx, const Scalar* w, Index ldw, Scalar* y, Index ldy) {
    Kernel::run(m_, chunk.cols, k_, x, ldx, w + chunk.begin * ldw, ldw, y + chunk.begin, 1, ldy, Scalar(1),
                *chunk.blocking, nullptr);
  }

  Index m_, n_, k_;
  int threads_;
  std::vector<Chunk> chunks_;
};

}  // namespace fnet::detail
