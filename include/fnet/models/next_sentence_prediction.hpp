// FNetForNextSentencePrediction (Hugging Face): `cls.seq_relationship` Linear(hidden, 2) over the pooled
// output; logits (batch, 2), index 0 = "B follows A", 1 = "B is random".
#pragma once

#include <string>

#include "fnet/io/load.hpp"

namespace fnet {

template <class Scalar = float>
class FNetForNextSentencePrediction {
 public:
  explicit FNetForNextSentencePrediction(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options), seq_relationship_(config.hidden_size, 2) {}

  static FNetForNextSentencePrediction load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForNextSentencePrediction>(dir, options);
  }
  void load_head(const detail::SafetensorsFile& file) {
    detail::read_head_linear(file, "cls.seq_relationship", seq_relationship_, "next-sentence-prediction");
  }

  const Config& config() const { return encoder_.config(); }
  FNetModel<Scalar>& encoder() { return encoder_; }
  const FNetModel<Scalar>& encoder() const { return encoder_; }
  Linear<Scalar>& seq_relationship() { return seq_relationship_; }

  TensorView<Scalar, 2> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    const ModelOutput<Scalar> out = encoder_.forward(ids, token_types, ws);
    MatrixMap<Scalar> logits = ws.matrix(Buffer::head, ids.dimension(0), 2);
    seq_relationship_(ConstMatrixMap<Scalar>(out.pooled.data(), ids.dimension(0), out.pooled.dimension(1)), logits, ws);
    return TensorView<Scalar, 2>(logits.data(), logits.rows(), 2);
  }
  TensorView<Scalar, 2> forward(const TokenIds& ids, const TokenIds& types, Workspace<Scalar>& ws) const {
    return forward(view(ids), view(types), ws);
  }

 private:
  FNetModel<Scalar> encoder_;
  Linear<Scalar> seq_relationship_;
};

}  // namespace fnet
