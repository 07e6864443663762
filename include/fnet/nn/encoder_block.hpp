// EncoderBlock: one post-LN Transformer layer with a pluggable token mixing.
//
//   h   = LN_mix(x + Mixing(x))
//   out = LN_out(h + FeedForward(h))
//
// With Mixing = FourierMixing this is an FNet layer; with a self-attention mixing it is a BERT layer
// (see bench/), which is how the two are compared like for like.
#pragma once

#include <string>

#include "fnet/nn/feed_forward.hpp"
#include "fnet/nn/fourier_mixing.hpp"
#include "fnet/nn/layer_norm.hpp"

namespace fnet {

template <class Scalar, class Mixing = FourierMixing<Scalar>>
class EncoderBlock {
 public:
  EncoderBlock() = default;
  // expand/contract_precision: of the feed-forward's two Linears (precision.hpp).
  EncoderBlock(Mixing mixing, Index hidden, Index intermediate, Activation activation, double eps,
               Precision expand_precision = Precision::fp32, Precision contract_precision = Precision::fp32)
      : mixing_(std::move(mixing)),
        mixing_norm_(hidden, eps),
        feed_forward_(hidden, intermediate, activation, expand_precision, contract_precision),
        output_norm_(hidden, eps) {}

  Mixing& mixing() { return mixing_; }
  FeedForward<Scalar>& feed_forward() { return feed_forward_; }

  // Transforms x, (batch·seq, hidden) row-major, in place.
  void operator()(MatrixMap<Scalar> x, Index batch, Index seq, Workspace<Scalar>& ws) const {
    MatrixMap<Scalar> h = ws.matrix(Buffer::mixed, x.rows(), x.cols());
    mixing_(const_view(x), batch, seq, h, ws);              // h = Mixing(x)
    mixing_norm_.add_and_normalize(h, x.data(), ws);        // h = LN(h + x)
    feed_forward_.with_residual(const_view(h), x, ws);      // x = h + FF(h)
    output_norm_(x, ws);                                    // x = LN(x)
  }

  // Hugging Face names: fourier.output.LayerNorm, intermediate.dense, output.dense, output.LayerNorm.
  void visit_parameters(const std::string& layer_prefix, const ParameterVisitor<Scalar>& visit) {
    if constexpr (HasParameters<Mixing>::value) mixing_.visit_parameters(layer_prefix, visit);
    mixing_norm_.visit_parameters(layer_prefix + ".fourier.output.LayerNorm", visit);
    feed_forward_.visit_parameters(layer_prefix, visit);
    output_norm_.visit_parameters(layer_prefix + ".output.LayerNorm", visit);
  }

 private:
  template <class M, class = void>
  struct HasParameters : std::false_type {};
  template <class M>
  struct HasParameters<M, std::void_t<decltype(std::declval<M&>().visit_parameters(
                              std::string(), std::declval<const ParameterVisitor<Scalar>&>()))>> : std::true_type {};

  Mixing mixing_;
  LayerNorm<Scalar> mixing_norm_;
  FeedForward<Scalar> feed_forward_;
  LayerNorm<Scalar> output_norm_;
};

}  // namespace fnet
