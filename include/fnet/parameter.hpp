// How a module exposes its weights to loaders and initialisers: a visitor receives each parameter's
// Hugging Face name, its storage and the shape the configuration implies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fnet {

template <class Scalar>
struct ParameterRef {
  std::string name;                 // e.g. "encoder.layer.3.output.dense.weight" (no "fnet." prefix)
  Scalar* data;                     // row-major storage of exactly product(shape) scalars
  std::vector<std::int64_t> shape;  // PyTorch's shape: (out, in) for Linear weights
};

template <class Scalar>
using ParameterVisitor = std::function<void(const ParameterRef<Scalar>&)>;

}  // namespace fnet
