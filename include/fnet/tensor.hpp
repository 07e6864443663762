// The data types fnet computes on: row-major Eigen matrices and maps for activations and weights,
// row-major Eigen tensors for token ids and model outputs.
#pragma once

#include <cstdint>

#include <Eigen/Core>
#include <unsupported/Eigen/CXX11/Tensor>

namespace fnet {

using Index = Eigen::Index;

// Activations are (tokens, features) row-major, so one token's features are contiguous: what the
// Fourier transform over the hidden dimension and LayerNorm want, and what PyTorch stores.
template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using MatrixMap = Eigen::Map<RowMatrix<Scalar>, Eigen::Unaligned>;
template <class Scalar>
using ConstMatrixMap = Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned>;
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

// A read-only view of the same memory (Eigen has no implicit Map<T> → Map<const T> conversion).
template <class Scalar>
ConstMatrixMap<Scalar> const_view(const MatrixMap<Scalar>& m) {
  return ConstMatrixMap<Scalar>(m.data(), m.rows(), m.cols());
}

// Token ids and token-type ids: (batch, sequence).
using TokenIds = Eigen::Tensor<std::int32_t, 2, Eigen::RowMajor>;
using TokenIdsView = Eigen::TensorMap<const Eigen::Tensor<const std::int32_t, 2, Eigen::RowMajor>>;

inline TokenIdsView view(const TokenIds& ids) { return TokenIdsView(ids.data(), ids.dimension(0), ids.dimension(1)); }

// Read-only views of a forward pass's results, over memory owned by the Workspace that ran it.
template <class Scalar, int Rank>
using TensorView = Eigen::TensorMap<const Eigen::Tensor<const Scalar, Rank, Eigen::RowMajor>>;

}  // namespace fnet
