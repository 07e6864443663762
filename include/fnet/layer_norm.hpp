// LayerNorm over the last dimension: y = (x − mean) / sqrt(var + eps) · γ + β, with the biased
// variance, as torch.nn.LayerNorm.
#pragma once

#include <string>

#include "fnet/parameter.hpp"
#include "fnet/tensor.hpp"

namespace fnet {

template <class Scalar>
class LayerNorm {
 public:
  LayerNorm() = default;
  LayerNorm(Index features, double eps)
      : gamma_(Vector<Scalar>::Ones(features)), beta_(Vector<Scalar>::Zero(features)), eps_(static_cast<Scalar>(eps)) {}

  Vector<Scalar>& weight() { return gamma_; }
  Vector<Scalar>& bias() { return beta_; }
  Scalar eps() const { return eps_; }

  // Normalises every row of x in place.
  void operator()(MatrixMap<Scalar> x) const {
    const Index n = x.cols();
    for (Index r = 0; r < x.rows(); ++r) {
      auto row = x.row(r).array();
      const Scalar mean = row.sum() / Scalar(n);
      row -= mean;  // two passes: the variance of centred values does not cancel catastrophically
      const Scalar variance = row.square().sum() / Scalar(n);
      const Scalar inv_std = Scalar(1) / std::sqrt(variance + eps_);
      row = row * inv_std * gamma_.transpose().array() + beta_.transpose().array();
    }
  }

  void visit_parameters(const std::string& prefix, const ParameterVisitor<Scalar>& visit) {
    visit({prefix + ".weight", gamma_.data(), {gamma_.size()}});
    visit({prefix + ".bias", beta_.data(), {beta_.size()}});
  }

 private:
  Vector<Scalar> gamma_, beta_;
  Scalar eps_ = Scalar(1e-12);
};

}  // namespace fnet
