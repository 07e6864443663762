// FNetForPreTraining (Hugging Face): the masked-LM head (cls.predictions, over every position) and the
// next-sentence head (cls.seq_relationship, over the pooled output) together.
#pragma once

#include <string>

#include "fnet/io/load.hpp"
#include "fnet/models/lm_prediction_head.hpp"

namespace fnet {

template <class Scalar>
struct PreTrainingOutput {
  TensorView<Scalar, 3> hidden_states;            // (batch, seq, hidden)
  TensorView<Scalar, 3> prediction_logits;        // (batch, seq, vocab_size)
  TensorView<Scalar, 2> seq_relationship_logits;  // (batch, 2)
};

template <class Scalar = float>
class FNetForPreTraining {
 public:
  explicit FNetForPreTraining(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options), predictions_(config), seq_relationship_(config.hidden_size, 2) {}

  static FNetForPreTraining load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForPreTraining>(dir, options);
  }
  void load_head(const detail::SafetensorsFile& file) {
    predictions_.load(file, encoder_.config());
    detail::read_head_linear(file, "cls.seq_relationship", seq_relationship_, "pre-training");
  }

  const Config& config() const { return encoder_.config(); }
  FNetModel<Scalar>& encoder() { return encoder_; }
  const FNetModel<Scalar>& encoder() const { return encoder_; }
  bool tied() const { return predictions_.tied(); }

  PreTrainingOutput<Scalar> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    const ModelOutput<Scalar> out = encoder_.forward(ids, token_types, ws);
    const Index batch = ids.dimension(0), seq = ids.dimension(1), hidden = out.hidden_states.dimension(2);
    // The next-sentence logits first: the prediction head's buffers are free to reuse the pooled output's.
    MatrixMap<Scalar> relationship = ws.matrix(Buffer::logits, batch, 2);
    seq_relationship_(ConstMatrixMap<Scalar>(out.pooled.data(), batch, hidden), relationship, ws);
    const MatrixMap<Scalar> prediction = predictions_(ConstMatrixMap<Scalar>(out.hidden_states.data(), batch * seq, hidden), ws);
    return {out.hidden_states, TensorView<Scalar, 3>(prediction.data(), batch, seq, prediction.cols()),
            TensorView<Scalar, 2>(relationship.data(), batch, 2)};
  }
  PreTrainingOutput<Scalar> forward(const TokenIds& ids, const TokenIds& types, Workspace<Scalar>& ws) const {
    return forward(view(ids), view(types), ws);
  }

 private:
  FNetModel<Scalar> encoder_;
  LMPredictionHead<Scalar> predictions_;
  Linear<Scalar> seq_relationship_;
};

}  // namespace fnet
