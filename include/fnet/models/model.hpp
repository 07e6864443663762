// FNetModel: embeddings → N FNet encoder blocks → pooler, plus the optional sequence-classification
// head (Hugging Face's FNetModel / FNetForSequenceClassification). Immutable after loading: share one
// model between threads, give each thread its own Workspace.
#pragma once

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fnet/config.hpp"
#include "fnet/nn/embeddings.hpp"
#include "fnet/nn/encoder_block.hpp"
#include "fnet/nn/fourier_mixing.hpp"
#include "fnet/precision.hpp"

namespace fnet {

// Results of one forward pass: views into the Workspace that ran it, valid until its next forward.
template <class Scalar>
struct ModelOutput {
  TensorView<Scalar, 3> hidden_states;  // (batch, seq, hidden): the last encoder layer's output
  TensorView<Scalar, 2> pooled;         // (batch, hidden): tanh(dense(hidden_states[:, 0]))
  TensorView<Scalar, 2> logits;         // (batch, num_labels); (batch, 0) without a classification head
};

template <class Scalar>
class FNetModel {
 public:
  using Block = EncoderBlock<Scalar, FourierMixing<Scalar>>;

  // A model of the given shape with zero weights (LayerNorm gains 1); fill it with load_model() or
  // visit_parameters(). `with_classifier` adds the head of config.num_labels() classes. With
  // options.precision == int8 the layers options.quantizes() are int8 from the start, so that loading
  // never holds more than one layer's fp32 weights (precision.hpp).
  explicit FNetModel(const Config& config, bool with_classifier = true, const LoadOptions& options = {})
      : config_((config.validate(), config)),
        embeddings_(config, options.quantizes("embeddings.word_embeddings")),
        precision_(options.precision) {
    if (options.precision == Precision::int8 && !std::is_same_v<Scalar, float>)
      throw std::invalid_argument("FNetModel: int8 precision needs Scalar = float");
    blocks_.reserve(static_cast<std::size_t>(config.num_hidden_layers));
    for (std::int64_t i = 0; i < config.num_hidden_layers; ++i) {
      const std::string layer = "encoder.layer." + std::to_string(i);
      auto precision_of = [&](const char* name) {
        return options.quantizes(layer + name) ? Precision::int8 : Precision::fp32;
      };
      blocks_.emplace_back(FourierMixing<Scalar>(), config.hidden_size, config.intermediate_size, config.hidden_act,
                           config.layer_norm_eps, precision_of(".intermediate.dense"), precision_of(".output.dense"));
    }
    pooler_ = Linear<Scalar>(config.hidden_size, config.hidden_size);
    if (with_classifier) classifier_ = Linear<Scalar>(config.hidden_size, config.num_labels());
  }

  const Config& config() const { return config_; }
  // The precision the model was built with (individual layers may have been kept fp32: LoadOptions).
  Precision precision() const { return precision_; }
  bool has_classifier() const { return classifier_.has_value(); }
  Embeddings<Scalar>& embeddings() { return embeddings_; }
  const Embeddings<Scalar>& embeddings() const { return embeddings_; }

  // Forward pass over token ids (batch, seq) and token-type ids of the same shape.
  ModelOutput<Scalar> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    validate_inputs(ids, &token_types);
    const Index batch = ids.dimension(0), seq = ids.dimension(1), hidden = config_.hidden_size;

    MatrixMap<Scalar> x = ws.matrix(Buffer::hidden, batch * seq, hidden);
    embeddings_(ids, token_types, x, ws);                   // x = Proj(LN(E_word + E_pos + E_type))
    for (const Block& block : blocks_) block(x, batch, seq, ws);  // x = LN(h + FF(h)), h = LN(x + Re(F_seq F_hid x))

    // pooled = tanh(W_p · x[:, 0] + b_p): row 0 of every sequence, read in place through a strided map.
    Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned, Eigen::OuterStride<>> first_tokens(
        x.data(), batch, hidden, Eigen::OuterStride<>(seq * hidden));
    MatrixMap<Scalar> pooled = ws.matrix(Buffer::pooled, batch, hidden);
    pooler_(first_tokens, pooled, ws);
    pooled = pooled.array().tanh().matrix();

    const Index labels = classifier_ ? classifier_->out_features() : 0;
    MatrixMap<Scalar> logits = ws.matrix(Buffer::logits, batch, std::max<Index>(labels, 1));
    if (classifier_) (*classifier_)(pooled, logits, ws);  // logits = W_c · pooled + b_c

    return {TensorView<Scalar, 3>(x.data(), batch, seq, hidden), TensorView<Scalar, 2>(pooled.data(), batch, hidden),
            TensorView<Scalar, 2>(logits.data(), batch, labels)};
  }

  // A single segment: token types all 0.
  ModelOutput<Scalar> forward(TokenIdsView ids, Workspace<Scalar>& ws) const {
    return forward(ids, TokenIdsView(ws.zero_token_types(ids.size()), ids.dimension(0), ids.dimension(1)), ws);
  }

  ModelOutput<Scalar> forward(const TokenIds& ids, const TokenIds& token_types, Workspace<Scalar>& ws) const {
    return forward(view(ids), view(token_types), ws);
  }
  ModelOutput<Scalar> forward(const TokenIds& ids, Workspace<Scalar>& ws) const { return forward(view(ids), ws); }

  // Visits every parameter with its Hugging Face name (without the "fnet." prefix of task models for
  // the encoder; the classifier is "classifier.*").
  void visit_parameters(const ParameterVisitor<Scalar>& visit) {
    embeddings_.visit_parameters("embeddings", visit);
    for (std::size_t i = 0; i < blocks_.size(); ++i)
      blocks_[i].visit_parameters("encoder.layer." + std::to_string(i), visit);
    pooler_.visit_parameters("pooler.dense", visit);
    if (classifier_) classifier_->visit_parameters("classifier", visit);
  }

  // Throws std::invalid_argument naming the first input that this model cannot run.
  void validate_inputs(TokenIdsView ids, const TokenIdsView* token_types) const {
    const Index batch = ids.dimension(0), seq = ids.dimension(1);
    if (batch < 1) throw std::invalid_argument("fnet: empty batch (input ids have shape (0, " + std::to_string(seq) + "))");
    if (seq < 1) throw std::invalid_argument("fnet: zero-length sequence (input ids have shape (" + std::to_string(batch) + ", 0))");
    if (seq > config_.max_position_embeddings)
      throw std::invalid_argument("fnet: sequence length " + std::to_string(seq) + " exceeds max_position_embeddings " +
                                  std::to_string(config_.max_position_embeddings));
    check_range("input id", ids, config_.vocab_size, "vocab_size");
    if (token_types) {
      if (token_types->dimension(0) != batch || token_types->dimension(1) != seq)
        throw std::invalid_argument("fnet: token type ids have shape (" + std::to_string(token_types->dimension(0)) + ", " +
                                    std::to_string(token_types->dimension(1)) + "); expected (" + std::to_string(batch) +
                                    ", " + std::to_string(seq) + ") like the input ids");
      check_range("token type id", *token_types, config_.type_vocab_size, "type_vocab_size");
    }
  }

 private:
  static void check_range(const char* what, TokenIdsView ids, std::int64_t limit, const char* field) {
    for (Index b = 0; b < ids.dimension(0); ++b)
      for (Index s = 0; s < ids.dimension(1); ++s)
        if (ids(b, s) < 0 || ids(b, s) >= limit)
          throw std::invalid_argument("fnet: " + std::string(what) + " " + std::to_string(ids(b, s)) + " at (" +
                                      std::to_string(b) + ", " + std::to_string(s) + ") is outside [0, " + field + "=" +
                                      std::to_string(limit) + ")");
  }

  Config config_;
  Embeddings<Scalar> embeddings_;
  Precision precision_ = Precision::fp32;
  std::vector<Block> blocks_;
  Linear<Scalar> pooler_;
  std::optional<Linear<Scalar>> classifier_;
};

}  // namespace fnet
