// Linear: y = x · Wᵀ + b, with W given in PyTorch's nn.Linear layout (out_features × in_features), so
// checkpoints load without transposing. W is packed once, when it is set, for the GEMM kernel of the ISA
// level in force (cpu.hpp); every forward pass then runs that kernel on the packed panels, and can fuse
// an activation and a residual add into the GEMM's write-back (LinearFusion). A quantized Linear
// (quantize(), Precision::int8) keeps W as int8 with one scale per output channel instead and quantizes
// its input per row on every call (precision.hpp).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "fnet/nn/activation.hpp"
#include "fnet/cpu.hpp"
#include "fnet/detail/gemm/int8_gemm.hpp"
#include "fnet/detail/gemm/packed_gemm.hpp"
#include "fnet/detail/gemm/packed_matrix.hpp"
#include "fnet/detail/gemm/quantized_matrix.hpp"
#include "fnet/precision.hpp"
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
  // Zero weights, fp32 or (float only) int8; an int8 Linear never holds an fp32 copy of W.
  Linear(Index in_features, Index out_features, Precision precision = Precision::fp32)
      : bias_(Vector<Scalar>::Zero(out_features)) {
    if (precision == Precision::int8) {
      check_quantizable(in_features);
      quantized_ = detail::QuantizedMatrix(out_features, in_features, cpu::active_isa());
    } else {
      weight_ = detail::PackedMatrix<Scalar>(RowMatrix<Scalar>::Zero(out_features, in_features).eval().data(),
                                             out_features, in_features, cpu::active_isa());
    }
  }

  Index in_features() const { return quantized_ ? quantized_->cols() : weight_.cols(); }
  Index out_features() const { return quantized_ ? quantized_->rows() : weight_.rows(); }
  Precision precision() const { return quantized_ ? Precision::int8 : Precision::fp32; }

  // W (out_features × in_features), unpacked: a copy (for an int8 Linear, the dequantized s_j·q_jk).
  RowMatrix<Scalar> weight() const {
    RowMatrix<Scalar> w(out_features(), in_features());
    if constexpr (std::is_same_v<Scalar, float>) {
      if (quantized_) {
        quantized_->dequantize(w.data());
        return w;
      }
    }
    weight_.unpack(w.data());
    return w;
  }
  // Replaces W and packs it for the ISA level in force now (quantizing it again if this Linear is int8).
  void set_weight(const RowMatrix<Scalar>& w) {
    if (w.rows() != out_features() || w.cols() != in_features())
      throw std::invalid_argument("Linear::set_weight: expected a " + std::to_string(out_features()) + " x " +
                                  std::to_string(in_features()) + " matrix; got " + std::to_string(w.rows()) +
                                  " x " + std::to_string(w.cols()));
    if constexpr (std::is_same_v<Scalar, float>) {
      if (quantized_) {
        quantized_ = detail::QuantizedMatrix(w.data(), w.rows(), w.cols(), cpu::active_isa());
        return;
      }
    }
    weight_ = detail::PackedMatrix<Scalar>(w.data(), w.rows(), w.cols(), cpu::active_isa());
  }
  // Makes this an int8 Linear: W quantized per output channel for the int8 kernel of the ISA level in
  // force; the fp32 copy is released. float only; in_features must stay below 65536 (int32 accumulation
  // of 255·127-sized products cannot overflow below that).
  void quantize() {
    if (quantized_) return;
    check_quantizable(in_features());
    if constexpr (std::is_same_v<Scalar, float>) {
      const RowMatrix<Scalar> w = weight();
      quantized_ = detail::QuantizedMatrix(w.data(), w.rows(), w.cols(), cpu::active_isa());
      weight_ = detail::PackedMatrix<Scalar>();
    }
  }
  Vector<Scalar>& bias() { return bias_; }
  const Vector<Scalar>& bias() const { return bias_; }
  const detail::PackedMatrix<Scalar>& packed_weight() const { return weight_; }
  const std::optional<detail::QuantizedMatrix>& quantized_weight() const { return quantized_; }

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
      // gelu_new and relu are applied in the kernels' write-back; exact GELU (erf) afterwards, and then
      // the residual must wait for it too.
      const bool fusable = !fused.activation || *fused.activation != Activation::gelu;
      const detail::FusedActivation activation = !fused.activation || !fusable ? detail::FusedActivation::none
                                                 : *fused.activation == Activation::gelu_new
                                                     ? detail::FusedActivation::gelu_tanh
                                                     : detail::FusedActivation::relu;
      if (quantized_) {
        detail::Int8GemmArgs g;
        g.m = x.rows(), g.y = y.data(), g.ldy = y.cols(), g.bias = bias_.data(), g.activation = activation;
        if (fusable) g.residual = fused.residual, g.ldr = fused.residual_stride;
        const Index row_bytes = quantized_->padded_cols();
        auto* bytes = reinterpret_cast<std::uint8_t*>(ws.data(Buffer::quantized, (x.rows() * row_bytes + 3) / 4));
        detail::run_int8_gemm(g, *quantized_, in, ldx, bytes, ws.data(Buffer::quantized_scales, x.rows()), ws.threads());
        if (!fusable) finish_unfused(y, fused);
        return;
      }
      if (const detail::IsaKernels* kernels = detail::isa_kernels(weight_.isa())) {
        detail::SgemmArgs g;
        g.m = x.rows(), g.n = out_features(), g.k = in_features();
        g.x = in, g.ldx = ldx, g.packed = weight_.data(), g.y = y.data(), g.ldy = y.cols();
        g.bias = bias_.data(), g.activation = activation;
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
  static void check_quantizable(Index in_features) {
    if (!std::is_same_v<Scalar, float>) throw std::invalid_argument("Linear: int8 needs Scalar = float");
    if (in_features >= 65536)
      throw std::invalid_argument("Linear: in_features " + std::to_string(in_features) +
                                  " is too large for int8 (int32 accumulation; limit 65535)");
  }

  static void finish_unfused(MatrixMap<Scalar> y, const LinearFusion<Scalar>& fused) {
    if (fused.activation) apply_activation(*fused.activation, y);
    if (fused.residual)
      y += Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned, Eigen::OuterStride<>>(
          fused.residual, y.rows(), y.cols(), Eigen::OuterStride<>(fused.residual_stride));
  }

  detail::PackedMatrix<Scalar> weight_;               // fp32 (empty once quantized)
  std::optional<detail::QuantizedMatrix> quantized_;  // int8
  Vector<Scalar> bias_;
};

}  // namespace fnet
