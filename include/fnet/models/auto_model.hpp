// AutoModel: the model class a checkpoint was saved from, chosen by config.json's `architectures[0]`, as
// transformers' AutoModel/from_pretrained does. One of the eight FNet classes, in a std::variant:
//
//   auto model = fnet::load_auto_model<float>(dir);            // LoadOptions as for load_model
//   if (auto* qa = std::get_if<fnet::FNetForQuestionAnswering<float>>(&model)) ...
//   std::visit([&](auto& m) { ... }, model);
//
// Without `architectures` the checkpoint loads as what its tensors say: a classifier head →
// FNetForSequenceClassification, else FNetModel. An unknown architecture is a format_error naming it and
// listing the supported ones.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "fnet/models/masked_lm.hpp"
#include "fnet/models/multiple_choice.hpp"
#include "fnet/models/next_sentence_prediction.hpp"
#include "fnet/models/pretraining.hpp"
#include "fnet/models/question_answering.hpp"
#include "fnet/models/sequence_classification.hpp"
#include "fnet/models/token_classification.hpp"

namespace fnet {

template <class Scalar = float>
using AutoModel = std::variant<FNetModel<Scalar>, FNetForSequenceClassification<Scalar>, FNetForMaskedLM<Scalar>,
                               FNetForTokenClassification<Scalar>, FNetForQuestionAnswering<Scalar>,
                               FNetForMultipleChoice<Scalar>, FNetForNextSentencePrediction<Scalar>,
                               FNetForPreTraining<Scalar>>;

// The architecture names load_auto_model accepts, in AutoModel's order.
inline const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> names{"FNetModel",
                                              "FNetForSequenceClassification",
                                              "FNetForMaskedLM",
                                              "FNetForTokenClassification",
                                              "FNetForQuestionAnswering",
                                              "FNetForMultipleChoice",
                                              "FNetForNextSentencePrediction",
                                              "FNetForPreTraining"};
  return names;
}

// The architecture `dir` would load as (config.json's architectures[0], or inferred as described above).
inline std::string architecture_of(const std::string& dir) {
  if (!detail::is_directory(dir)) throw io_error(dir + ": model directory does not exist or is not a directory");
  const Config config = Config::from_file(dir + "/config.json");
  if (!config.architectures.empty()) return config.architectures.front();
  const detail::SafetensorsFile file(dir + "/model.safetensors");
  return file.contains("classifier.weight") ? "FNetForSequenceClassification" : "FNetModel";
}

template <class Scalar = float>
AutoModel<Scalar> load_auto_model(const std::string& dir, const LoadOptions& options = {}) {
  const std::string name = architecture_of(dir);
  if (name == "FNetModel") {
    // A bare encoder; HF's FNetModel has no head, so a classifier in the file is ignored.
    const Config config = Config::from_file(dir + "/config.json");
    const detail::SafetensorsFile file(dir + "/model.safetensors");
    detail::check_checkpoint(config, false, file);
    FNetModel<Scalar> model(config, false, options);
    detail::load_weights(model, file);
    return model;
  }
  if (name == "FNetForSequenceClassification") return FNetForSequenceClassification<Scalar>::load(dir, options);
  if (name == "FNetForMaskedLM") return FNetForMaskedLM<Scalar>::load(dir, options);
  if (name == "FNetForTokenClassification") return FNetForTokenClassification<Scalar>::load(dir, options);
  if (name == "FNetForQuestionAnswering") return FNetForQuestionAnswering<Scalar>::load(dir, options);
  if (name == "FNetForMultipleChoice") return FNetForMultipleChoice<Scalar>::load(dir, options);
  if (name == "FNetForNextSentencePrediction") return FNetForNextSentencePrediction<Scalar>::load(dir, options);
  if (name == "FNetForPreTraining") return FNetForPreTraining<Scalar>::load(dir, options);
  std::string list;
  for (const std::string& s : supported_architectures()) list += (list.empty() ? "" : ", ") + s;
  throw format_error(dir + "/config.json: architecture '" + name + "' is not supported; supported: " + list);
}

}  // namespace fnet
