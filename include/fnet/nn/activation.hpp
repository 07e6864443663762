// The feed-forward activations FNet checkpoints use, applied in place.
#pragma once

#include <cmath>

#include "fnet/config.hpp"
#include "fnet/tensor.hpp"

namespace fnet {

template <class Scalar>
void apply_activation(Activation activation, MatrixMap<Scalar> x) {
  auto a = x.array();
  switch (activation) {
    case Activation::gelu_new: {  // tanh approximation (HF "gelu_new", FNet's default)
      const Scalar k = Scalar(0.7978845608028654);  // sqrt(2/pi)
      a = Scalar(0.5) * a * (Scalar(1) + (k * (a + Scalar(0.044715) * a.cube())).tanh());
      break;
    }
    case Activation::gelu:  // exact, erf-based (HF "gelu")
      a = a.unaryExpr([](Scalar v) { return Scalar(0.5) * v * (Scalar(1) + std::erf(v * Scalar(0.7071067811865476))); });
      break;
    case Activation::relu:
      a = a.max(Scalar(0));
      break;
  }
}

}  // namespace fnet
