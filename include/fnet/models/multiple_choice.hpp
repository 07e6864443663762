// FNetForMultipleChoice (Hugging Face): each of a question's num_choices encodings runs through the
// encoder as one row of a flattened batch (batch·num_choices, seq); `classifier` Linear(hidden, 1) scores
// each pooled output; the scores are reshaped to logits (batch, num_choices).
#pragma once

#include <stdexcept>
#include <string>

#include "fnet/io/load.hpp"

namespace fnet {

// Token ids of multiple-choice inputs: (batch, num_choices, seq).
using ChoiceTokenIds = Eigen::Tensor<std::int32_t, 3, Eigen::RowMajor>;

template <class Scalar = float>
class FNetForMultipleChoice {
 public:
  explicit FNetForMultipleChoice(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options), classifier_(config.hidden_size, 1) {}

  static FNetForMultipleChoice load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForMultipleChoice>(dir, options);
  }
  void load_head(const detail::SafetensorsFile& file) {
    detail::read_head_linear(file, "classifier", classifier_, "multiple-choice");
  }

  const Config& config() const { return encoder_.config(); }
  FNetModel<Scalar>& encoder() { return encoder_; }
  const FNetModel<Scalar>& encoder() const { return encoder_; }
  Linear<Scalar>& classifier() { return classifier_; }

  // logits (batch, num_choices) for ids and token types of shape (batch, num_choices, seq).
  TensorView<Scalar, 2> forward(const ChoiceTokenIds& ids, const ChoiceTokenIds& token_types, Workspace<Scalar>& ws) const {
    if (ids.dimension(0) != token_types.dimension(0) || ids.dimension(1) != token_types.dimension(1) ||
        ids.dimension(2) != token_types.dimension(2))
      throw std::invalid_argument("FNetForMultipleChoice: token type ids and input ids differ in shape");
    const Index batch = ids.dimension(0), choices = ids.dimension(1), seq = ids.dimension(2);
    if (choices < 1) throw std::invalid_argument("FNetForMultipleChoice: no choices (input ids of shape (" +
                                                 std::to_string(batch) + ", 0, " + std::to_string(seq) + "))");
    const ModelOutput<Scalar> out = encoder_.forward(TokenIdsView(ids.data(), batch * choices, seq),
                                                     TokenIdsView(token_types.data(), batch * choices, seq), ws);
    MatrixMap<Scalar> scores = ws.matrix(Buffer::head, batch * choices, 1);
    classifier_(ConstMatrixMap<Scalar>(out.pooled.data(), batch * choices, out.pooled.dimension(1)), scores, ws);
    return TensorView<Scalar, 2>(scores.data(), batch, choices);
  }

 private:
  FNetModel<Scalar> encoder_;
  Linear<Scalar> classifier_;
};

}  // namespace fnet
