// LayerNorm over the last dimension: y = (x − mean) / sqrt(var + eps) · γ + β, with the biased
// variance, as torch.nn.LayerNorm. In fp32 the rows run through the vector kernel of the ISA level in
// force (cpu.hpp), split over the workspace's threads when there are enough of them.
#pragma once

#include <cmath>
#include <string>

#include "fnet/cpu.hpp"
#include "fnet/detail/isa/dispatch.hpp"
#include "fnet/parameter.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"

namespace fnet {

template <class Scalar>
class LayerNorm {
 public:
  LayerNorm() = default;
  LayerNorm(Index features, double eps)
      : gamma_(Vector<Scalar>::Ones(features)), beta_(Vector<Scalar>::Zero(features)), eps_(static_cast<Scalar>(eps)) {}

  Vector<Scalar>& weight() { return gamma_; }
  const Vector<Scalar>& weight() const { return gamma_; }
  Vector<Scalar>& bias() { return beta_; }
  const Vector<Scalar>& bias() const { return beta_; }
  Scalar eps() const { return eps_; }

  // Normalises every row of x in place, on this thread.
  void operator()(MatrixMap<Scalar> x) const { normalize_rows(x.data(), nullptr, 0, x.rows(), x.cols()); }

  // The same on the workspace's threads.
  void operator()(MatrixMap<Scalar> x, Workspace<Scalar>& ws) const { add_and_normalize(x, nullptr, ws); }

  // x = LN(x + residual), the residual (x's shape, row-major, contiguous) added in the same pass over x:
  // the post-LN sublayer output of a Transformer block.
  void add_and_normalize(MatrixMap<Scalar> x, const Scalar* residual, Workspace<Scalar>& ws) const {
    const Index rows = x.rows(), n = x.cols();
    // Below this many values one thread is faster than waking others.
    constexpr Index kParallelThreshold = 1 << 16;
    const int threads = rows * n < kParallelThreshold ? 1 : static_cast<int>(std::min<Index>(ws.threads(), rows));
    if (threads <= 1) return normalize_rows(x.data(), residual, 0, rows, n);
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      const Index begin = rows * t / team, end = rows * (t + 1) / team;
      normalize_rows(x.data(), residual, begin, end, n);
    }
#endif
  }

  void visit_parameters(const std::string& prefix, const ParameterVisitor<Scalar>& visit) {
    visit({prefix + ".weight", gamma_.data(), {gamma_.size()}});
    visit({prefix + ".bias", beta_.data(), {beta_.size()}});
  }

 private:
  // Rows [begin, end) of the row-major (·, n) matrix at x, plus the same rows of `residual` if given.
  void normalize_rows(Scalar* x, const Scalar* residual, Index begin, Index end, Index n) const {
    if constexpr (std::is_same_v<Scalar, float>) {
      if (const detail::IsaKernels* kernels = detail::isa_kernels(cpu::active_isa())) {
        kernels->layer_norm_rows(x + begin * n, n, residual ? residual + begin * n : nullptr, n, end - begin, n,
                                 gamma_.data(), beta_.data(), eps_);
        return;
      }
    }
    for (Index r = begin; r < end; ++r) {
      auto row = MatrixMap<Scalar>(x + r * n, 1, n).array();
      if (residual) row += ConstMatrixMap<Scalar>(residual + r * n, 1, n).array();
      const Scalar mean = row.sum() / Scalar(n);
      row -= mean;  // two passes: the variance of centred values does not cancel catastrophically
      const Scalar variance = row.square().sum() / Scalar(n);
      const Scalar inv_std = Scalar(1) / std::sqrt(variance + eps_);
      row = row * inv_std * gamma_.transpose().array() + beta_.transpose().array();
    }
  }

  Vector<Scalar> gamma_, beta_;
  Scalar eps_ = Scalar(1e-12);
};

}  // namespace fnet
