// FNetForSequenceClassification (Hugging Face): `classifier` Linear(hidden, num_labels) over the pooled
// output; logits (batch, num_labels). What a score means follows config.json's problem_type (resolved
// as transformers does when it is absent: Config::resolved_problem_type):
//   single_label_classification  softmax over the labels (exactly one applies)
//   multi_label_classification   an independent sigmoid per label
//   regression                   num_labels = 1, the raw logit is the prediction
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fnet/detail/probability.hpp"
#include "fnet/io/load.hpp"

namespace fnet {

// The scores transformers' text-classification pipeline reports for one row of logits, by problem type:
// softmax, sigmoid, or the logits themselves (regression). In double, max-shifted.
inline std::vector<double> classification_scores(const std::string& problem_type, const std::vector<double>& logits) {
  if (problem_type == "regression") return logits;
  if (problem_type == "multi_label_classification") {
    std::vector<double> scores = logits;
    for (double& s : scores) s = detail::sigmoid(s);
    return scores;
  }
  return detail::softmax(logits);
}

template <class Scalar = float>
class FNetForSequenceClassification {
 public:
  explicit FNetForSequenceClassification(const Config& config, const LoadOptions& options = {})
      : model_(config, true, options) {}

  // The classifier is required: a checkpoint without classifier.weight is a format_error naming it.
  static FNetForSequenceClassification load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForSequenceClassification>(dir, options);
  }
  void load_head(const detail::SafetensorsFile&) {}  // the classifier is part of the encoder model

  const Config& config() const { return model_.config(); }
  FNetModel<Scalar>& encoder() { return model_; }
  const FNetModel<Scalar>& encoder() const { return model_; }
  std::string problem_type() const { return model_.config().resolved_problem_type(); }

  // logits (batch, num_labels).
  TensorView<Scalar, 2> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    return model_.forward(ids, token_types, ws).logits;
  }
  TensorView<Scalar, 2> forward(const TokenIds& ids, const TokenIds& types, Workspace<Scalar>& ws) const {
    return forward(view(ids), view(types), ws);
  }

 private:
  FNetModel<Scalar> model_;
};

}  // namespace fnet
