// FeedForward: dense(hidden → intermediate) → activation → dense(intermediate → hidden).
// Hugging Face names: "intermediate.dense" and "output.dense" of each encoder layer.
#pragma once

#include <string>

#include "fnet/nn/activation.hpp"
#include "fnet/nn/linear.hpp"

namespace fnet {

template <class Scalar>
class FeedForward {
 public:
  FeedForward() = default;
  FeedForward(Index hidden, Index intermediate, Activation activation, Precision expand_precision = Precision::fp32,
              Precision contract_precision = Precision::fp32)
      : expand_(hidden, intermediate, expand_precision),
        contract_(intermediate, hidden, contract_precision),
        activation_(activation) {}

  Linear<Scalar>& expand() { return expand_; }
  Linear<Scalar>& contract() { return contract_; }
  const Linear<Scalar>& expand() const { return expand_; }
  const Linear<Scalar>& contract() const { return contract_; }
  Activation activation() const { return activation_; }

  // y = contract(act(expand(x))); the intermediate activations live in the workspace.
  void operator()(ConstMatrixMap<Scalar> x, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const { run(x, y, ws, false); }

  // y = x + contract(act(expand(x))): the residual branch of a Transformer block, the add fused into the
  // second GEMM's write-back. x must be contiguous ((rows, hidden) with row stride hidden).
  void with_residual(ConstMatrixMap<Scalar> x, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const { run(x, y, ws, true); }

  void visit_parameters(const std::string& layer_prefix, const ParameterVisitor<Scalar>& visit) {
    expand_.visit_parameters(layer_prefix + ".intermediate.dense", visit);
    contract_.visit_parameters(layer_prefix + ".output.dense", visit);
  }

 private:
  void run(ConstMatrixMap<Scalar> x, MatrixMap<Scalar> y, Workspace<Scalar>& ws, bool residual) const {
    MatrixMap<Scalar> inner = ws.matrix(Buffer::intermediate, x.rows(), expand_.out_features());
    expand_(x, inner, ws, {activation_});  // inner = act(x · W1ᵀ + b1), the activation in the GEMM's write-back
    LinearFusion<Scalar> add_input;
    if (residual) add_input.residual = x.data(), add_input.residual_stride = x.cols();
    contract_(inner, y, ws, add_input);     // y = inner · W2ᵀ + b2 (+ x)
  }

  Linear<Scalar> expand_, contract_;
  Activation activation_ = Activation::gelu_new;
};

}  // namespace fnet
