// QuantizedMatrix: a weight matrix W (out × in, PyTorch's Linear layout) quantized to int8 for the int8
// GEMM of one ISA level, once, when the weights are loaded.
//
// Each output channel j (row of W) has its own symmetric scale s_j = max_k |W_jk| / qmax, and
// q_jk = round(W_jk / s_j) (half to even) clamped to ±qmax, where qmax is the kernel's largest exact weight
// (127 with AVX-512 VNNI; 63 with AVX2, whose vpmaddubsw saturates int16 pair sums beyond that; 127 in the
// plain C++ path). The columns k are padded with zeros to a multiple of 4, and the rows are grouped in
// panels of the kernel's tile width: within a panel, for each group of 4 k, each column's 4 bytes are
// contiguous — one int32 lane of the kernel's dot-product instruction. The compensation 128·Σ_k q_jk (the
// activations carry a zero point of 128) is kept per channel. A row with NaN or ±Inf gets scale NaN.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <Eigen/Core>

#include "fnet/cpu.hpp"
#include "fnet/detail/gemm/packed_matrix.hpp"
#include "fnet/detail/isa/dispatch.hpp"

namespace fnet::detail {

class QuantizedMatrix {
  using Index = Eigen::Index;

 public:
  QuantizedMatrix() = default;

  // A rows × cols matrix of zeros (scales 1), without an fp32 copy ever existing.
  QuantizedMatrix(Index rows, Index cols, Isa isa)
      : rows_(rows), cols_(cols), padded_cols_((cols + 3) / 4 * 4), kernels_(int8_kernels(isa)) {
    panel_ = kernels_ ? kernels_->tile_cols : 1;
    weight_max_ = kernels_ ? kernels_->weight_max : 127;
    const Index stored_rows = (rows + panel_ - 1) / panel_ * panel_;
    data_ = AlignedArray<std::int8_t>(static_cast<std::size_t>(stored_rows * padded_cols_));
    scales_ = AlignedArray<float>(static_cast<std::size_t>(stored_rows));
    compensation_ = AlignedArray<std::int32_t>(static_cast<std::size_t>(stored_rows));
    std::fill(scales_.data(), scales_.data() + rows, 1.0f);
  }

  // W (rows × cols, row-major) quantized.
  QuantizedMatrix(const float* w, Index rows, Index cols, Isa isa) : QuantizedMatrix(rows, cols, isa) {
    for (Index r = 0; r < rows; ++r) {
      const float* row = w + r * cols;
      float largest = 0;
      bool finite = true;
      for (Index k = 0; k < cols; ++k) {
        finite = finite && std::isfinite(row[k]);
        largest = std::max(largest, std::fabs(row[k]));
      }
      const float scale = largest > 0 ? largest / static_cast<float>(weight_max_) : 1.0f;
      scales_.data()[r] = finite ? scale : std::numeric_limits<float>::quiet_NaN();
      std::int32_t sum = 0;
      for (Index k = 0; k < cols; ++k) {
        const float q = finite ? std::nearbyint(row[k] / scale) : 0.0f;
        const auto value = static_cast<std::int8_t>(std::clamp(q, -float(weight_max_), float(weight_max_)));
        data_.data()[offset(r, k)] = value;
        sum += value;
      }
      compensation_.data()[r] = 128 * sum;
    }
  }

  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Index padded_cols() const { return padded_cols_; }
  Index panel_width() const { return panel_; }
  int weight_max() const { return weight_max_; }
  // The int8 kernels these weights are packed for; nullptr: the plain C++ path (row-major, panel width 1).
  const Int8Kernels* kernels() const { return kernels_; }
  const std::int8_t* data() const { return data_.data(); }
  const float* scales() const { return scales_.data(); }
  const std::int32_t* compensation() const { return compensation_.data(); }

  std::int8_t at(Index r, Index k) const { return data_.data()[offset(r, k)]; }

  // s_j · q_jk: the weights the int8 GEMM effectively multiplies by.
  void dequantize(float* w) const {
    for (Index r = 0; r < rows_; ++r)
      for (Index k = 0; k < cols_; ++k) w[r * cols_ + k] = scales_.data()[r] * static_cast<float>(at(r, k));
  }

 private:
  // Byte of (row r, column k): panel r / panel_, then k-group, then the row within the panel, then k % 4.
  Index offset(Index r, Index k) const {
    return (r / panel_) * padded_cols_ * panel_ + (k / 4) * panel_ * 4 + (r % panel_) * 4 + k % 4;
  }

  Index rows_ = 0, cols_ = 0, padded_cols_ = 0, panel_ = 1;
  int weight_max_ = 127;
  const Int8Kernels* kernels_ = nullptr;
  AlignedArray<std::int8_t> data_;
  AlignedArray<float> scales_;
  AlignedArray<std::int32_t> compensation_;
};

}  // namespace fnet::detail
