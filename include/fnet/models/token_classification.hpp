// FNetForTokenClassification (Hugging Face): `classifier` Linear(hidden, num_labels) over every position
// of the sequence output; logits (batch, seq, num_labels). Labels from config.json's id2label.
#pragma once

#include <string>

#include "fnet/io/load.hpp"

namespace fnet {

template <class Scalar>
struct TokenClassificationOutput {
  TensorView<Scalar, 3> hidden_states;  // (batch, seq, hidden)
  TensorView<Scalar, 3> logits;         // (batch, seq, num_labels)
};

template <class Scalar = float>
class FNetForTokenClassification {
 public:
  explicit FNetForTokenClassification(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options), classifier_(config.hidden_size, config.num_labels()) {}

  static FNetForTokenClassification load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForTokenClassification>(dir, options);
  }
  void load_head(const detail::SafetensorsFile& file) {
    detail::read_head_linear(file, "classifier", classifier_, "token-classification");
  }

  const Config& config() const { return encoder_.config(); }
  FNetModel<Scalar>& encoder() { return encoder_; }
  const FNetModel<Scalar>& encoder() const { return encoder_; }
  Linear<Scalar>& classifier() { return classifier_; }

  TokenClassificationOutput<Scalar> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    const ModelOutput<Scalar> out = encoder_.forward(ids, token_types, ws);
    const Index batch = ids.dimension(0), seq = ids.dimension(1), hidden = out.hidden_states.dimension(2);
    MatrixMap<Scalar> logits = ws.matrix(Buffer::head, batch * seq, classifier_.out_features());
    classifier_(ConstMatrixMap<Scalar>(out.hidden_states.data(), batch * seq, hidden), logits, ws);  // every position
    return {out.hidden_states, TensorView<Scalar, 3>(logits.data(), batch, seq, logits.cols())};
  }
  TokenClassificationOutput<Scalar> forward(const TokenIds& ids, const TokenIds& types, Workspace<Scalar>& ws) const {
    return forward(view(ids), view(types), ws);
  }

 private:
  FNetModel<Scalar> encoder_;
  Linear<Scalar> classifier_;
};

}  // namespace fnet
