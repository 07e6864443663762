// Linear: y = x · Wᵀ + b, with W given in PyTorch's nn.Linear layout (out_features × in_features), so
// checkpoints load without transposing. W is packed once, when it is set, for the GEMM kernel of the ISA
// level in force (cpu.hpp); every forward pass then runs that kernel on the packed panels, and can fuse
// an activation and a residual add into the GEMM's write-back (LinearFusion).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "fnet/activation.hpp"
#include "fnet/cpu.hpp"
#include "fnet/detail/gemm/packed_gemm.hpp"
#include "fnet/detail/gemm/packed_matrix.hpp"
#include "fnet/parameter.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"

namespace fnet {

// What a Linear applies after x · Wᵀ + b, in this order: y = activation(x · Wᵀ + b) + residual.
template <class Scalar>
struct LinearFusion {
  std::optional<Activation> activation;
  const Scalar* residual = nullptr;  // (rows, out_features) row-major with row stride residual_stride
  Index residual_stride = 0;
};

template <class Scalar>
class Linear {
 public:
  Linear() = default;
  Linear(Index in_features, Index out_features)
      : weight_(RowMatrix<Scalar>::Zero(out_features, in_features).eval().data(), out_features, in_features,
                cpu::active_isa()),
        bias_(Vector<Scalar>::Zero(out_features)) {}

  Index in_features() const { return weight_.cols(); }
  Index out_features() const { return weight_.rows(); }

  // W (out_features × in_features), unpacked: a copy.
  RowMatrix<Scalar> weight() const {
    RowMatrix<Scalar> w(weight_.rows(), weight_.cols());
    weight_.unpack(w.data());
    return w;
  }
  // Replaces W and packs it for the ISA level in force now.
  void set_weight(const RowMatrix<Scalar>& w) {
    if (w.rows() != out_features() || w.cols() != in_features())
      throw std::invalid_argument("Linear::set_weight: expected a " + std::to_string(out_features()) + " x " +
                                  std::to_string(in_features()) + " matrix; got " + std::to_string(w.rows()) +
                                  " x " + std::to_string(w.cols()));
    weight_ = detail::PackedMatrix<Scalar>(w.data(), w.rows(), w.cols(), cpu::active_isa());
  }
  Vector<Scalar>& bias() { return bias_; }
  const Vector<Scalar>& bias() const { return bias_; }
  const detail::PackedMatrix<Scalar>& packed_weight() const { return weight_; }

  // y = fused.activation(x · Wᵀ + b) + fused.residual for every row of x. x may be any row-major Eigen
  // matrix or map (strided rows allowed); y must alias neither x nor the residual.
  template <class Input>
  void operator()(const Eigen::MatrixBase<Input>& x, MatrixMap<Scalar> y, Workspace<Scalar>& ws,
                  const LinearFusion<Scalar>& fused = {}) const {
    static_assert(Input::IsRowMajor, "Linear expects row-major input");
    eigen_assert(x.cols() == in_features() && y.rows() == x.rows() && y.cols() == out_features());
    const Scalar* in = x.derived().data();
    const Index ldx = x.derived().outerStride();
    if constexpr (std::is_same_v<Scalar, float>) {
      if (const detail::IsaKernels* kernels = detail::isa_kernels(weight_.isa())) {
        // gelu_new and relu are applied in the kernel's write-back; exact GELU (erf) afterwards, and then
        // the residual must wait for it too.
        const bool fusable = !fused.activation || *fused.activation != Activation::gelu;
        detail::SgemmArgs g;
        g.m = x.rows(), g.n = out_features(), g.k = in_features();
        g.x = in, g.ldx = ldx, g.packed = weight_.data(), g.y = y.data(), g.ldy = y.cols();
        g.bias = bias_.data();
        g.activation = !fused.activation || !fusable                ? detail::FusedActivation::none
                       : *fused.activation == Activation::gelu_new ? detail::FusedActivation::gelu_tanh
                                                                    : detail::FusedActivation::relu;
        if (fusable) g.residual = fused.residual, g.ldr = fused.residual_stride;
        detail::run_packed_sgemm(g, *kernels, ws.threads());
        if (!fusable) finish_unfused(y, fused);
        return;
      }
    }
    y.rowwise() = bias_.transpose();
    ws.gemm(x.rows(), out_features(), in_features()).run(in, ldx, weight_.data(), in_features(), y.data(), y.cols());
    finish_unfused(y, fused);
  }

  // The visitor sees W in PyTorch's layout; whatever it writes there is packed when it returns.
  void visit_parameters(const std::string& prefix, const ParameterVisitor<Scalar>& visit) {
    RowMatrix<Scalar> w = weight();
    visit({prefix + ".weight", w.data(), {w.rows(), w.cols()}});
    set_weight(w);
    visit({prefix + ".bias", bias_.data(), {bias_.size()}});
  }

 private:
  static void finish_unfused(MatrixMap<Scalar> y, const LinearFusion<Scalar>& fused) {
    if (fused.activation) apply_activation(*fused.activation, y);
    if (fused.residual)
      y += Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned, Eigen::OuterStride<>>(
          fused.residual, y.rows(), y.cols(), Eigen::OuterStride<>(fused.residual_stride));
  }

  detail::PackedMatrix<Scalar> weight_;
  Vector<Scalar> bias_;
};

}  // namespace fnet
