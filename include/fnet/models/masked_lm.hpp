// FNetForMaskedLM: the encoder plus Hugging Face's masked-language-model head (LMPredictionHead:
// logits = decoder(LN(act(dense(hidden)))) + bias, decoder tied to the word embeddings unless the checkpoint
// stores its own). fill_mask() puts it to use on text with [MASK] tokens.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "fnet/detail/probability.hpp"
#include "fnet/io/load.hpp"
#include "fnet/models/lm_prediction_head.hpp"
#include "fnet/text/tokenizer.hpp"

namespace fnet {

template <class Scalar = float>
class FNetForMaskedLM {
 public:
  // The encoder follows `options` (precision.hpp); the masked-LM head stays fp32.
  explicit FNetForMaskedLM(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options), head_(config) {}

  const FNetModel<Scalar>& encoder() const { return encoder_; }
  FNetModel<Scalar>& encoder() { return encoder_; }
  // Whether the decoder weight is the word embedding matrix (no `cls.predictions.decoder.weight`).
  bool tied() const { return head_.tied(); }

  // Prediction logits for the rows of `hidden` ((rows, hidden_size) row-major): (rows, vocab_size),
  // in the workspace's head buffer.
  MatrixMap<Scalar> predict(ConstMatrixMap<Scalar> hidden, Workspace<Scalar>& ws) const { return head_(hidden, ws); }

  // Hugging Face's FNetForMaskedLM output: prediction logits for every position, (batch, seq, vocab_size).
  TensorView<Scalar, 3> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    const ModelOutput<Scalar> out = encoder_.forward(ids, token_types, ws);
    const Index rows = out.hidden_states.dimension(0) * out.hidden_states.dimension(1);
    const MatrixMap<Scalar> logits =
        head_(ConstMatrixMap<Scalar>(out.hidden_states.data(), rows, out.hidden_states.dimension(2)), ws);
    return TensorView<Scalar, 3>(logits.data(), out.hidden_states.dimension(0), out.hidden_states.dimension(1), logits.cols());
  }
  TensorView<Scalar, 3> forward(const TokenIds& ids, Workspace<Scalar>& ws) const {
    return forward(view(ids), TokenIdsView(ws.zero_token_types(ids.size()), ids.dimension(0), ids.dimension(1)), ws);
  }

  // Loads the encoder and the head. `cls.predictions.bias` (or its alias `cls.predictions.decoder.bias`)
  // is required; `cls.predictions.decoder.weight` is optional (absent = tied to the word embeddings).
  static FNetForMaskedLM load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForMaskedLM>(dir, options);
  }
  void load_head(const detail::SafetensorsFile& file) { head_.load(file, encoder_.config()); }

 private:
  FNetModel<Scalar> encoder_;
  LMPredictionHead<Scalar> head_;
};

struct MaskFill {
  std::string token;  // the SentencePiece piece
  std::int32_t id = 0;
  double probability = 0;
};

// For every [MASK] in `text` (in order), the top_k most likely tokens. The input is padded to
// max_length (the model's model_max_length by default), as the model was trained.
template <class Scalar>
std::vector<std::vector<MaskFill>> fill_mask(const FNetForMaskedLM<Scalar>& model, const Tokenizer& tokenizer,
                                             const std::string& text, int top_k, Workspace<Scalar>& ws,
                                             std::int64_t max_length = 0) {
  if (max_length <= 0)
    max_length = tokenizer.model_max_length() > 0 ? tokenizer.model_max_length()
                                                  : model.encoder().config().max_position_embeddings;
  if (max_length > model.encoder().config().max_position_embeddings)
    throw std::invalid_argument("fill_mask: max length " + std::to_string(max_length) +
                                " exceeds max_position_embeddings " +
                                std::to_string(model.encoder().config().max_position_embeddings));
  const BatchEncoding batch = tokenizer.encode_batch({text}, max_length);
  const ModelOutput<Scalar> out = model.encoder().forward(batch.input_ids, batch.token_type_ids, ws);
  const Index hidden = out.hidden_states.dimension(2);
  std::vector<std::vector<MaskFill>> result;
  for (Index s = 0; s < batch.input_ids.dimension(1); ++s) {
    if (batch.input_ids(0, s) != tokenizer.mask_id()) continue;
    const MatrixMap<Scalar> logits =
        model.predict(ConstMatrixMap<Scalar>(out.hidden_states.data() + s * hidden, 1, hidden), ws);
    const std::vector<double> p =
        detail::softmax(std::vector<double>(logits.data(), logits.data() + logits.cols()));
    std::vector<MaskFill> fills;
    for (const std::int32_t id : detail::top_k_ids(p, {}, static_cast<std::size_t>(std::max(top_k, 0))))
      fills.push_back({tokenizer.id_to_piece(id), id, p[static_cast<std::size_t>(id)]});
    result.push_back(std::move(fills));
  }
  return result;
}

}  // namespace fnet
