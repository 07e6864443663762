// SequenceClassifier: text in, label out. A model directory in Hugging Face layout (config.json,
// model.safetensors with a classification head, spiece.model, tokenizer_config.json) becomes one
// object; classify() tokenizes a batch, pads it to the model's fixed length and runs the encoder.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fnet/io/load.hpp"
#include "fnet/models/sequence_classification.hpp"
#include "fnet/text/tokenizer.hpp"

namespace fnet {

struct Prediction {
  std::int64_t label_id = 0;
  std::string label;                 // config.json id2label[label_id]
  double score = 0;                  // probabilities[label_id]
  std::vector<double> logits;        // one per class
  // softmax(logits) for single-label classification, sigmoid(logits) per label for multi-label, the
  // logits themselves for regression (config.json problem_type; sequence_classification.hpp)
  std::vector<double> probabilities;
};

template <class Scalar = float>
class SequenceClassifier {
 public:
  // max_length: the padded length every input is run at. FNet has no attention mask, so pad tokens
  // go through the Fourier transform and change the result: the length is part of the model, and the
  // default is the one it was trained with (tokenizer_config.json model_max_length, else
  // max_position_embeddings).
  // options: the precision to run at (precision.hpp), e.g. {fnet::Precision::int8}.
  explicit SequenceClassifier(const std::string& model_dir, std::int64_t max_length = 0, const LoadOptions& options = {})
      : model_(load_model<Scalar>(model_dir, options)),
        tokenizer_(model_dir),
        problem_type_(model_.config().resolved_problem_type()) {
    if (!model_.has_classifier())
      throw format_error(model_dir + "/model.safetensors: no classification head (tensor 'classifier.weight' is absent)");
    const std::int64_t limit = model_.config().max_position_embeddings;
    max_length_ = max_length > 0 ? max_length : tokenizer_.model_max_length() > 0 ? tokenizer_.model_max_length() : limit;
    if (max_length_ < 2 || max_length_ > limit)
      throw std::invalid_argument("max length " + std::to_string(max_length_) + " is outside [2, max_position_embeddings=" +
                                  std::to_string(limit) + "]");
    if (tokenizer_.vocab_size() > model_.config().vocab_size)
      throw format_error(model_dir + "/spiece.model: vocabulary of " + std::to_string(tokenizer_.vocab_size()) +
                         " pieces does not fit the model's vocab_size " + std::to_string(model_.config().vocab_size));
  }

  std::int64_t max_length() const { return max_length_; }
  const FNetModel<Scalar>& model() const { return model_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  std::vector<Prediction> classify(const std::vector<std::string>& texts, Workspace<Scalar>& ws) const {
    if (texts.empty()) return {};
    const BatchEncoding batch = tokenizer_.encode_batch(texts, max_length_);
    const ModelOutput<Scalar> out = model_.forward(batch.input_ids, batch.token_type_ids, ws);
    std::vector<Prediction> predictions(texts.size());
    const Index labels = out.logits.dimension(1);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      Prediction& p = predictions[i];
      p.logits.resize(static_cast<std::size_t>(labels));
      for (Index j = 0; j < labels; ++j) p.logits[std::size_t(j)] = double(out.logits(Index(i), j));
      // Softmax, per-label sigmoid or the raw value, by the config's problem type (sequence_classification.hpp).
      p.probabilities = classification_scores(problem_type_, p.logits);
      p.label_id = std::max_element(p.logits.begin(), p.logits.end()) - p.logits.begin();
      p.label = model_.config().id2label.at(p.label_id);
      p.score = p.probabilities[std::size_t(p.label_id)];
    }
    return predictions;
  }

 private:
  FNetModel<Scalar> model_;
  Tokenizer tokenizer_;
  std::string problem_type_;
  std::int64_t max_length_ = 0;
};

}  // namespace fnet
