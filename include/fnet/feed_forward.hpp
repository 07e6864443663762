// FeedForward: dense(hidden → intermediate) → activation → dense(intermediate → hidden).
// Hugging Face names: "intermediate.dense" and "output.dense" of each encoder layer.
#pragma once

#include <string>

#include "fnet/activation.hpp"
#include "fnet/linear.hpp"

namespace fnet {

template <class Scalar>
class FeedForward {
 public:
  FeedForward() = default;
  FeedForward(Index hidden, Index intermediate, Activation activation)
      : expand_(hidden, intermediate), contract_(intermediate, hidden), activation_(activation) {}

  Linear<Scalar>& expand() { return expand_; }
  Linear<Scalar>& contract() { return contract_; }
  Activation activation() const { return activation_; }

  // y = contract(act(expand(x))); the intermediate activations live in the workspace.
  void operator()(ConstMatrixMap<Scalar> x, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const {
    MatrixMap<Scalar> inner = ws.matrix(Buffer::intermediate, x.rows(), expand_.out_features());
    expand_(x, inner, ws);
    apply_activation(activation_, inner);
    contract_(inner, y, ws);
  }

  void visit_parameters(const std::string& layer_prefix, const ParameterVisitor<Scalar>& visit) {
    expand_.visit_parameters(layer_prefix + ".intermediate.dense", visit);
    contract_.visit_parameters(layer_prefix + ".output.dense", visit);
  }

 private:
  Linear<Scalar> expand_, contract_;
  Activation activation_ = Activation::gelu_new;
};

}  // namespace fnet
