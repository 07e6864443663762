// FNetForMaskedLM: the encoder plus Hugging Face's masked-language-model head,
//   logits = decoder(LN(act(dense(hidden)))) + bias,
// where the decoder weight is tied to the word embeddings unless the checkpoint stores its own
// `cls.predictions.decoder.weight`. fill_mask() puts it to use on text with [MASK] tokens.
#pragma once

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "fnet/io/load.hpp"
#include "fnet/text/tokenizer.hpp"

namespace fnet {

template <class Scalar = float>
class FNetForMaskedLM {
 public:
  // The encoder follows `options` (precision.hpp); the masked-LM head (transform, LayerNorm, decoder)
  // stays fp32.
  explicit FNetForMaskedLM(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options),
        transform_(config.hidden_size, config.hidden_size),
        norm_(config.hidden_size, config.layer_norm_eps),
        decoder_(config.hidden_size, config.vocab_size) {}

  const FNetModel<Scalar>& encoder() const { return encoder_; }
  FNetModel<Scalar>& encoder() { return encoder_; }
  // Whether the decoder weight is the word embedding matrix (no `cls.predictions.decoder.weight`).
  bool tied() const { return tied_; }

  // Prediction logits for the rows of `hidden` ((rows, hidden_size) row-major): (rows, vocab_size),
  // in the workspace's head buffer.
  MatrixMap<Scalar> predict(ConstMatrixMap<Scalar> hidden, Workspace<Scalar>& ws) const {
    const Index rows = hidden.rows(), h = encoder_.config().hidden_size, vocab = encoder_.config().vocab_size;
    MatrixMap<Scalar> t = ws.matrix(Buffer::pooled, rows, h);
    transform_(hidden, t, ws, {encoder_.config().hidden_act});  // t = LN(act(W_t · h + b_t))
    norm_(t, ws);
    MatrixMap<Scalar> logits = ws.matrix(Buffer::head, rows, vocab);
    decoder_(t, logits, ws);  // logits = E · t + b
    return logits;
  }

  // Loads the encoder and the head. `cls.predictions.bias` (or its alias `cls.predictions.decoder.bias`)
  // is required; `cls.predictions.decoder.weight` is optional (absent = tied to the word embeddings).
  static FNetForMaskedLM load(const std::string& dir, const LoadOptions& options = {}) {
    if (!detail::is_directory(dir)) throw io_error(dir + ": model directory does not exist or is not a directory");
    const Config config = Config::from_file(dir + "/config.json");
    const detail::SafetensorsFile file(dir + "/model.safetensors");
    detail::check_checkpoint(config, false, file);  // before allocating config-sized weights
    FNetForMaskedLM m(config, options);
    detail::load_weights(m.encoder_, file);
    const std::int64_t h = config.hidden_size, v = config.vocab_size;
    auto read = [&](const std::string& name, std::vector<std::int64_t> shape, Scalar* out) {
      if (!file.contains(name)) throw format_error(file.path() + ": missing tensor '" + name + "' of the masked-LM head");
      file.template read<Scalar>(name, shape, out);
    };
    RowMatrix<Scalar> transform(h, h);
    read("cls.predictions.transform.dense.weight", {h, h}, transform.data());
    m.transform_.set_weight(transform);
    read("cls.predictions.transform.dense.bias", {h}, m.transform_.bias().data());
    read("cls.predictions.transform.LayerNorm.weight", {h}, m.norm_.weight().data());
    read("cls.predictions.transform.LayerNorm.bias", {h}, m.norm_.bias().data());
    read(file.contains("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias", {v},
         m.decoder_.bias().data());
    // The decoder is packed for the GEMM like every Linear; a tied one packs a copy of the word embeddings,
    // read from the file (in an int8 model the encoder's copy is quantized; the head stays exact).
    m.tied_ = !file.contains("cls.predictions.decoder.weight");
    RowMatrix<Scalar> decoder(v, h);
    if (m.tied_)
      file.template read<Scalar>(detail::checkpoint_name("embeddings.word_embeddings.weight", detail::uses_fnet_prefix(file.names())),
                                 {v, h}, decoder.data());
    else
      read("cls.predictions.decoder.weight", {v, h}, decoder.data());
    m.decoder_.set_weight(decoder);
    return m;
  }

 private:
  FNetModel<Scalar> encoder_;
  Linear<Scalar> transform_;
  LayerNorm<Scalar> norm_;
  Linear<Scalar> decoder_;  // vocab_size × hidden, bias cls.predictions.bias
  bool tied_ = true;
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
    const Eigen::Array<double, 1, Eigen::Dynamic> z = logits.row(0).array().template cast<double>();
    const Eigen::Array<double, 1, Eigen::Dynamic> p = (z - z.maxCoeff()).exp() / (z - z.maxCoeff()).exp().sum();
    std::vector<std::int32_t> order(static_cast<std::size_t>(p.size()));
    std::iota(order.begin(), order.end(), 0);
    const auto k = std::min<std::size_t>(static_cast<std::size_t>(std::max(top_k, 0)), order.size());
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(k), order.end(),
                      [&](std::int32_t a, std::int32_t b) { return p(a) > p(b); });
    std::vector<MaskFill> fills;
    for (std::size_t i = 0; i < k; ++i) fills.push_back({tokenizer.id_to_piece(order[i]), order[i], p(order[i])});
    result.push_back(std::move(fills));
  }
  return result;
}

}  // namespace fnet
