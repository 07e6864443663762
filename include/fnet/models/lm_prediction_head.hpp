// LMPredictionHead: Hugging Face's FNetLMPredictionHead (cls.predictions), shared by FNetForMaskedLM and
// FNetForPreTraining:
//   logits = decoder(LN(act(transform.dense(hidden)))) + bias
// The decoder weight is the word embedding matrix unless the checkpoint stores its own
// `cls.predictions.decoder.weight`; the bias is `cls.predictions.bias` (alias `cls.predictions.decoder.bias`:
// HF registers one parameter under both names and a checkpoint may keep either).
#pragma once

#include <string>

#include "fnet/config.hpp"
#include "fnet/detail/safetensors.hpp"
#include "fnet/io/load.hpp"
#include "fnet/nn/layer_norm.hpp"
#include "fnet/nn/linear.hpp"

namespace fnet {

template <class Scalar>
class LMPredictionHead {
 public:
  LMPredictionHead() = default;
  explicit LMPredictionHead(const Config& config)
      : transform_(config.hidden_size, config.hidden_size),
        norm_(config.hidden_size, config.layer_norm_eps),
        decoder_(config.hidden_size, config.vocab_size),
        activation_(config.hidden_act) {}

  // Whether the decoder weight is the word embedding matrix (no `cls.predictions.decoder.weight`).
  bool tied() const { return tied_; }

  // Prediction logits for the rows of `hidden` ((rows, hidden_size) row-major): (rows, vocab_size) in the
  // workspace's head buffer (the transform's output lives in head_transform).
  MatrixMap<Scalar> operator()(ConstMatrixMap<Scalar> hidden, Workspace<Scalar>& ws) const {
    MatrixMap<Scalar> t = ws.matrix(Buffer::head_transform, hidden.rows(), transform_.out_features());
    transform_(hidden, t, ws, {activation_});  // t = LN(act(W_t · h + b_t))
    norm_(t, ws);
    MatrixMap<Scalar> logits = ws.matrix(Buffer::head, hidden.rows(), decoder_.out_features());
    decoder_(t, logits, ws);  // logits = E · t + b
    return logits;
  }

  // Reads cls.predictions.* from `file` (the encoder's checkpoint). The head stays fp32 in an int8 model; a
  // tied decoder packs a copy of the word embeddings read from the file itself (exact even when the
  // encoder's table is stored as int8).
  void load(const detail::SafetensorsFile& file, const Config& config) {
    const std::int64_t h = config.hidden_size, v = config.vocab_size;
    const std::string head = "masked-LM";
    detail::read_head_linear(file, "cls.predictions.transform.dense", transform_, head);
    detail::read_head_tensor(file, "cls.predictions.transform.LayerNorm.weight", {h}, norm_.weight().data(), head);
    detail::read_head_tensor(file, "cls.predictions.transform.LayerNorm.bias", {h}, norm_.bias().data(), head);
    detail::read_head_tensor(file, file.contains("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias",
                             {v}, decoder_.bias().data(), head);
    tied_ = !file.contains("cls.predictions.decoder.weight");
    RowMatrix<Scalar> decoder(v, h);
    if (tied_)
      file.template read<Scalar>(detail::checkpoint_name("embeddings.word_embeddings.weight", detail::uses_fnet_prefix(file.names())),
                                 {v, h}, decoder.data());
    else
      detail::read_head_tensor(file, "cls.predictions.decoder.weight", {v, h}, decoder.data(), head);
    decoder_.set_weight(decoder);
  }

 private:
  Linear<Scalar> transform_;
  LayerNorm<Scalar> norm_;
  Linear<Scalar> decoder_;  // vocab_size × hidden, bias cls.predictions.bias
  Activation activation_ = Activation::gelu_new;
  bool tied_ = true;
};

}  // namespace fnet
