// Linear: y = x · Wᵀ + b with W stored (out_features, in_features) row-major, exactly PyTorch's
// nn.Linear layout, so checkpoints load without transposing.
#pragma once

#include <string>

#include "fnet/parameter.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"

namespace fnet {

template <class Scalar>
class Linear {
 public:
  Linear() = default;
  Linear(Index in_features, Index out_features)
      : weight_(RowMatrix<Scalar>::Zero(out_features, in_features)), bias_(Vector<Scalar>::Zero(out_features)) {}

  Index in_features() const { return weight_.cols(); }
  Index out_features() const { return weight_.rows(); }
  RowMatrix<Scalar>& weight() { return weight_; }
  const RowMatrix<Scalar>& weight() const { return weight_; }
  Vector<Scalar>& bias() { return bias_; }
  const Vector<Scalar>& bias() const { return bias_; }

  // y = x · Wᵀ + b for every row of x. x may be any row-major Eigen matrix or map (strided rows allowed);
  // y must not alias x.
  template <class Input>
  void operator()(const Eigen::MatrixBase<Input>& x, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const {
    static_assert(Input::IsRowMajor, "Linear expects row-major input");
    eigen_assert(x.cols() == in_features() && y.rows() == x.rows() && y.cols() == out_features());
    y.rowwise() = bias_.transpose();
    ws.gemm(x.rows(), out_features(), in_features())
        .run(x.derived().data(), x.derived().outerStride(), weight_.data(), weight_.cols(), y.data(), y.cols());
  }

  void visit_parameters(const std::string& prefix, const ParameterVisitor<Scalar>& visit) {
    visit({prefix + ".weight", weight_.data(), {weight_.rows(), weight_.cols()}});
    visit({prefix + ".bias", bias_.data(), {bias_.size()}});
  }

 private:
  RowMatrix<Scalar> weight_;
  Vector<Scalar> bias_;
};

}  // namespace fnet
