// Workspace: the mutable memory of forward passes — activation buffers, FFT scratch and GEMM packing
// buffers. A model is immutable and can be shared by any number of threads; each thread brings its own
// Workspace. Buffers only grow, so once a (batch, sequence) shape has been run, running it again
// allocates nothing (allocation_count() stays constant; tests/test_allocations.cpp checks this with a
// counting malloc).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <vector>

#include "fnet/detail/gemm/eigen_gemm.hpp"
#include "fnet/tensor.hpp"

namespace fnet {

// The named activation buffers of a forward pass.
// quantized / quantized_scales: an int8 Linear's input quantized per row (bytes) and the rows' scales.
// head / head_transform: task heads' outputs and the masked-LM transform.
enum class Buffer { hidden, mixed, intermediate, pooled, logits, head, head_transform, scratch, quantized, quantized_scales, count };

template <class Scalar>
class Workspace {
 public:
  // `threads`: threads for GEMMs and for transforming the sequences of a batch (1 = this thread only).
  explicit Workspace(int threads = 1) : threads_(threads) {
    if (threads < 1) throw std::invalid_argument("Workspace: threads must be >= 1; got " + std::to_string(threads));
  }

  int threads() const { return threads_; }

  // A rows × cols row-major matrix in buffer `b`, valid until `b` is requested again with a larger size.
  MatrixMap<Scalar> matrix(Buffer b, Index rows, Index cols) { return MatrixMap<Scalar>(data(b, rows * cols), rows, cols); }

  // `count` scalars of buffer `b`, aligned for SIMD (and for FFTW's aligned plans).
  Scalar* data(Buffer b, Index count) {
    auto& storage = buffers_[static_cast<std::size_t>(b)];
    if (storage.size() < count) {
      storage.resize(count);
      ++allocations_;
    }
    return storage.data();
  }

  // `count` zero token-type ids, for forward passes given no token types.
  const std::int32_t* zero_token_types(Index count) {
    if (static_cast<Index>(zeros_.size()) < count) {
      zeros_.assign(static_cast<std::size_t>(count), 0);
      ++allocations_;
    }
    return zeros_.data();
  }

  // The GEMM runner for y(m×n) += x(m×k)·Wᵀ, created (with its packing buffers) on first use.
  detail::LinearGemm<Scalar>& gemm(Index m, Index n, Index k) {
    for (auto& g : gemms_)
      if (g->matches(m, n, k, threads_)) return *g;
    gemms_.push_back(std::make_unique<detail::LinearGemm<Scalar>>(m, n, k, threads_));
    ++allocations_;
    return *gemms_.back();
  }

  // How many times this workspace has allocated: constant once every shape in use has been seen.
  std::size_t allocation_count() const { return allocations_; }

 private:
  int threads_;
  std::array<Vector<Scalar>, static_cast<std::size_t>(Buffer::count)> buffers_;
  std::vector<std::unique_ptr<detail::LinearGemm<Scalar>>> gemms_;
  std::vector<std::int32_t> zeros_;
  std::size_t allocations_ = 0;
};

}  // namespace fnet
