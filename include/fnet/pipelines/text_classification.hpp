// TextClassificationPipeline: transformers' pipeline("text-classification") over an
// FNetForSequenceClassification checkpoint. Single texts or pairs (text, text_pair); scores by
// function_to_apply (softmax, sigmoid or none; by default what transformers infers from the config);
// the top_k labels.
//
// Long texts: by default a text is truncated to the padded length, as in transformers. With
// LongText::windows (opt-in) the text is split into overlapping windows of the model's length (consecutive
// windows share `stride` tokens, default L / 4) and the window logits are averaged before the scores are
// taken: every part of a long document counts, at the cost of one forward row per window.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fnet/models/sequence_classification.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

enum class ClassificationFunction { automatic, softmax, sigmoid, none };
enum class LongText { truncate, windows };

inline ClassificationFunction parse_classification_function(const std::string& name) {
  if (name == "softmax") return ClassificationFunction::softmax;
  if (name == "sigmoid") return ClassificationFunction::sigmoid;
  if (name == "none") return ClassificationFunction::none;
  throw std::invalid_argument("function_to_apply: expected softmax, sigmoid or none; got '" + name + "'");
}

struct TextClassificationOptions {
  std::int64_t max_length = 0;  // 0: the model's padded length
  ClassificationFunction function_to_apply = ClassificationFunction::automatic;
  std::optional<std::int64_t> top_k = 1;  // nullopt: every label
  LongText long_text = LongText::truncate;
  std::int64_t stride = -1;  // windows: tokens shared by consecutive windows; -1: L / 4
  bool raw = false;          // keep each row's ids, offsets and logits
};

struct TextClassificationInput {
  std::string text;
  std::optional<std::string> text_pair;
};

struct LabelScore {
  std::string label;
  std::int64_t id = 0;
  double score = 0;
};

struct TextClassificationResult {
  std::vector<LabelScore> labels;  // by score, descending
  std::vector<double> logits;      // averaged over the windows with LongText::windows
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const LabelScore& s) { j = {{"label", s.label}, {"score", s.score}}; }
inline void to_json(nlohmann::json& j, const TextClassificationResult& r) { j = r.labels; }

// transformers' default function: sigmoid for multi-label or a single label, else softmax; except that an
// explicit regression problem type gives the raw score (transformers would apply a sigmoid).
inline ClassificationFunction default_classification_function(const Config& config) {
  if (config.problem_type == "regression") return ClassificationFunction::none;
  if (config.problem_type == "multi_label_classification" || config.num_labels() == 1) return ClassificationFunction::sigmoid;
  return ClassificationFunction::softmax;
}

// Post-processing of one row of logits: the labels by score (top_k of them).
inline std::vector<LabelScore> classify_logits(const std::vector<double>& logits, const Config& config,
                                               ClassificationFunction function, std::optional<std::int64_t> top_k) {
  if (function == ClassificationFunction::automatic) function = default_classification_function(config);
  std::vector<double> scores = logits;
  if (function == ClassificationFunction::softmax) scores = detail::softmax(logits);
  if (function == ClassificationFunction::sigmoid)
    for (double& s : scores) s = detail::sigmoid(s);
  std::vector<LabelScore> out;
  const std::size_t k = top_k ? static_cast<std::size_t>(std::clamp<std::int64_t>(*top_k, 0, std::int64_t(scores.size()))) : scores.size();
  for (std::size_t i : detail::order_by_score(scores)) {
    if (out.size() == k) break;
    const auto name = config.id2label.find(std::int64_t(i));
    out.push_back({name != config.id2label.end() ? name->second : "LABEL_" + std::to_string(i), std::int64_t(i), scores[i]});
  }
  return out;
}

template <class Scalar = float>
class TextClassificationPipeline {
 public:
  using Input = TextClassificationInput;
  using Result = TextClassificationResult;
  using Options = TextClassificationOptions;
  struct Prepared {
    std::vector<Encoding> rows;
  };

  TextClassificationPipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(FNetForSequenceClassification<Scalar>::load(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.config(), 3, "text-classification");
    if (model_.config().num_labels() < 1) throw format_error(model_dir + "/config.json: text-classification needs at least one label");
    stride_ = options.stride >= 0 ? options.stride : length_ / 4;
    if (options.long_text == LongText::windows && stride_ >= length_ - 2)
      throw std::invalid_argument("text-classification: stride " + std::to_string(stride_) + " leaves no room in windows of " +
                                  std::to_string(length_) + " tokens");
  }

  std::int64_t max_length() const { return length_; }
  const Options& options() const { return options_; }
  const FNetForSequenceClassification<Scalar>& model() const { return model_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  // Tokenizes one input (throws std::invalid_argument for text that is not UTF-8).
  Prepared prepare(const Input& input) const {
    EncodeOptions e{length_, Truncation::longest_first, true, stride_};
    if (input.text_pair) {
      detail::check_pairs(model_.config(), "text-classification");
      return {{tokenizer_.encode_pair(input.text, *input.text_pair, e)}};
    }
    if (options_.long_text == LongText::windows) {
      Prepared p{tokenizer_.encode_windows(input.text, e)};
      detail::check_rows(p.rows.size(), "text-classification", "windows of a long text");
      return p;
    }
    return {{tokenizer_.encode(input.text, e)}};
  }

  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<const Encoding*> rows;
    for (const Prepared* p : batch)
      for (const Encoding& e : p->rows) rows.push_back(&e);
    std::vector<Result> results(batch.size());
    std::vector<std::vector<double>> row_logits = detail::row_logits(model_, rows, length_, ws);
    const std::size_t labels = static_cast<std::size_t>(model_.config().num_labels());
    std::size_t r = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Result& out = results[i];
      out.logits.assign(labels, 0.0);
      for (const Encoding& e : batch[i]->rows) {
        for (std::size_t j = 0; j < labels; ++j) out.logits[j] += row_logits[r][j];
        if (options_.raw) {
          out.raw.push_back(detail::raw_window(e));
          out.raw.back().outputs["logits"] = row_logits[r];
        }
        ++r;
      }
      for (double& v : out.logits) v /= double(batch[i]->rows.size());
      out.labels = classify_logits(out.logits, model_.config(), options_.function_to_apply, options_.top_k);
    }
    return results;
  }

  Result operator()(const Input& input, Workspace<Scalar>& ws) const {
    const Prepared p = prepare(input);
    return run({&p}, ws).front();
  }

 private:
  FNetForSequenceClassification<Scalar> model_;
  Tokenizer tokenizer_;
  Options options_;
  std::int64_t length_ = 0, stride_ = 0;
};

}  // namespace fnet
