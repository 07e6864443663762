// PackedMatrix: a weight matrix W (out × in, PyTorch's Linear layout) stored the way the GEMM kernel of
// one ISA level reads it, packed once when the weights are loaded.
//
// For an x86 kernel with tiles `panel` columns wide, W's rows are grouped `panel` at a time; each group
// (a panel) is stored k-major: panel p holds, for k = 0 … in−1, the `panel` values W[p·panel + j, k]
// contiguously. The kernel then streams a panel with aligned vector loads and never re-packs W. The last
// panel is zero-padded. For Isa::generic (and for double) W stays row-major, as Eigen's kernel wants it.
#pragma once

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include <Eigen/Core>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "fnet/cpu.hpp"
#include "fnet/detail/isa/dispatch.hpp"

namespace fnet::detail {

// A zero-initialised array of trivially copyable T, 64-byte aligned (cache lines, AVX-512 vectors). Arrays
// of 4 MiB and more are 2 MiB aligned and offered to the kernel as transparent huge pages: one TLB
// entry then covers what the GEMM streams in 512 (measured on FNet-base weights: +2-3% GEMM rate).
template <class T>
class AlignedArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  AlignedArray() = default;
  explicit AlignedArray(std::size_t count) : size_(count) {
    if (count == 0) return;
    if (count > (std::size_t(-1) >> 1) / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = count * sizeof(T);
    const std::size_t alignment = bytes >= (std::size_t(4) << 20) ? std::size_t(2) << 20 : 64;
    const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
    void* p = std::aligned_alloc(alignment, rounded);
    if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (alignment > 64) ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only; failure changes nothing
#endif
    std::memset(p, 0, rounded);
    data_.reset(static_cast<T*>(p));
  }
  // Value semantics, like the Eigen matrices the weights used to be (a model stays copyable).
  AlignedArray(const AlignedArray& other) : AlignedArray(other.size_) {
    if (size_) std::memcpy(data(), other.data(), size_ * sizeof(T));
  }
  AlignedArray& operator=(const AlignedArray& other) {
    if (this != &other) *this = AlignedArray(other);
    return *this;
  }
  AlignedArray(AlignedArray&&) noexcept = default;
  AlignedArray& operator=(AlignedArray&&) noexcept = default;
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t size_ = 0;
};

template <class Scalar>
class PackedMatrix {
  using Index = Eigen::Index;

 public:
  PackedMatrix() = default;

  // Packs W (rows × cols, row-major, row stride cols) for `isa`'s kernel (double is always row-major).
  PackedMatrix(const Scalar* w, Index rows, Index cols, Isa isa)
      : rows_(rows), cols_(cols), isa_(std::is_same_v<Scalar, float> ? isa : Isa::generic) {
    const IsaKernels* kernels = isa_kernels(isa_);
    panel_ = kernels ? kernels->tile_cols : 0;
    const Index stored_rows = panel_ ? (rows + panel_ - 1) / panel_ * panel_ : rows;
    data_ = AlignedArray<Scalar>(static_cast<std::size_t>(stored_rows * cols));
    if (!panel_) {
      if (rows > 0 && cols > 0) std::memcpy(data_.data(), w, sizeof(Scalar) * static_cast<std::size_t>(rows * cols));
      return;
    }
    for (Index r = 0; r < rows; ++r) {
      Scalar* out = data_.data() + (r / panel_) * cols * panel_ + r % panel_;
      for (Index k = 0; k < cols; ++k) out[k * panel_] = w[r * cols + k];
    }
  }

  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Isa isa() const { return isa_; }
  Index panel_width() const { return panel_; }  // 0: row-major
  const Scalar* data() const { return data_.data(); }

  // W in its original row-major layout (the inverse of packing).
  void unpack(Scalar* w) const {
    if (!panel_) {
      if (rows_ > 0 && cols_ > 0) std::memcpy(w, data_.data(), sizeof(Scalar) * static_cast<std::size_t>(rows_ * cols_));
      return;
    }
    for (Index r = 0; r < rows_; ++r) {
      const Scalar* in = data_.data() + (r / panel_) * cols_ * panel_ + r % panel_;
      for (Index k = 0; k < cols_; ++k) w[r * cols_ + k] = in[k * panel_];
    }
  }

 private:
  Index rows_ = 0, cols_ = 0;
  Isa isa_ = Isa::generic;
  Index panel_ = 0;
  AlignedArray<Scalar> data_;
};

}  // namespace fnet::detail
