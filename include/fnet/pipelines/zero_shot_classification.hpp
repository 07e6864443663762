// ZeroShotClassificationPipeline: transformers' pipeline("zero-shot-classification") over a natural
// language inference model (FNetForSequenceClassification fine-tuned on MNLI or similar). Each candidate
// label becomes a hypothesis (hypothesis_template with {} replaced by the label); the model scores the pair
// (sequence, hypothesis). Single-label: softmax of the entailment logits over the candidates. Multi-label
// (or one candidate): per candidate, softmax over (contradiction, entailment), the entailment part.
// The entailment id is the first label in id2label starting with "entail" (any case), else the last id;
// the contradiction id the first starting with "contradict", else 0 (the last id when entailment is 0),
// transformers' fallback.
#pragma once

#include <string>
#include <vector>

#include "fnet/models/sequence_classification.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

struct ZeroShotOptions {
  std::int64_t max_length = 0;
  std::vector<std::string> candidate_labels;  // the default when an input names none
  std::string hypothesis_template = "This example is {}.";
  bool multi_label = false;
  bool raw = false;
};

struct ZeroShotInput {
  std::string sequence;
  std::vector<std::string> candidate_labels;  // empty: ZeroShotOptions::candidate_labels
};

struct ZeroShotResult {
  std::string sequence;
  std::vector<std::string> labels;  // by score, descending
  std::vector<double> scores;
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const ZeroShotResult& r) {
  j = {{"sequence", r.sequence}, {"labels", r.labels}, {"scores", r.scores}};
}

namespace detail {
inline std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}
}  // namespace detail

// The (entailment, contradiction) label ids of an NLI config.
inline std::pair<std::int64_t, std::int64_t> nli_label_ids(const Config& config) {
  std::int64_t entail = -1, contradict = -1;
  for (const auto& [id, name] : config.id2label) {
    const std::string l = detail::lower_ascii(name);
    if (entail < 0 && l.rfind("entail", 0) == 0) entail = id;
    if (contradict < 0 && l.rfind("contradict", 0) == 0) contradict = id;
  }
  const std::int64_t last = config.num_labels() - 1;
  if (entail < 0) entail = last;
  if (contradict < 0) contradict = entail == 0 ? last : 0;
  return {entail, contradict};
}

// Post-processing: one row of NLI logits per candidate label → labels by score.
inline ZeroShotResult rank_candidates(const std::string& sequence, const std::vector<std::string>& labels,
                                      const std::vector<std::vector<double>>& logits, std::int64_t entail,
                                      std::int64_t contradict, bool multi_label) {
  ZeroShotResult r;
  r.sequence = sequence;
  const std::size_t n = std::min(labels.size(), logits.size());
  auto at = [](const std::vector<double>& row, std::int64_t i) {
    return i >= 0 && std::size_t(i) < row.size() ? row[std::size_t(i)] : 0.0;
  };
  std::vector<double> scores(n);
  if (multi_label || n == 1) {
    for (std::size_t i = 0; i < n; ++i) scores[i] = detail::softmax({at(logits[i], contradict), at(logits[i], entail)})[1];
  } else {
    for (std::size_t i = 0; i < n; ++i) scores[i] = at(logits[i], entail);
    scores = detail::softmax(scores);
  }
  for (std::size_t i : detail::order_by_score(scores)) {
    r.labels.push_back(labels[i]);
    r.scores.push_back(scores[i]);
  }
  return r;
}

template <class Scalar = float>
class ZeroShotClassificationPipeline {
 public:
  using Input = ZeroShotInput;
  using Result = ZeroShotResult;
  using Options = ZeroShotOptions;
  struct Prepared {
    std::string sequence;
    std::vector<std::string> labels;
    std::vector<Encoding> rows;  // one per label
  };

  ZeroShotClassificationPipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(FNetForSequenceClassification<Scalar>::load(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.config(), 4, "zero-shot-classification");
    if (model_.config().num_labels() < 2)
      throw std::invalid_argument("zero-shot-classification: an NLI model needs at least 2 labels; " + model_dir + " has " +
                                  std::to_string(model_.config().num_labels()));
    std::tie(entail_, contradict_) = nli_label_ids(model_.config());
    detail::check_pairs(model_.config(), "zero-shot-classification " + model_dir);
  }

  std::int64_t max_length() const { return length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  std::int64_t entailment_id() const { return entail_; }
  std::int64_t contradiction_id() const { return contradict_; }

  // Throws std::invalid_argument without candidate labels, or when a hypothesis alone fills the row.
  Prepared prepare(const Input& input) const {
    Prepared p{input.sequence, input.candidate_labels.empty() ? options_.candidate_labels : input.candidate_labels, {}};
    if (p.labels.empty()) throw std::invalid_argument("zero-shot-classification: no candidate_labels");
    detail::check_rows(p.labels.size(), "zero-shot-classification", "one per candidate label");
    for (const std::string& label : p.labels) {
      std::string hypothesis = options_.hypothesis_template;
      const std::size_t at = hypothesis.find("{}");
      if (at == std::string::npos)
        throw std::invalid_argument("zero-shot-classification: hypothesis_template '" + hypothesis + "' has no {} for the label");
      hypothesis.replace(at, 2, label);
      p.rows.push_back(tokenizer_.encode_pair(input.sequence, hypothesis, EncodeOptions{length_, Truncation::only_first, true, 0}));
    }
    return p;
  }

  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<const Encoding*> rows;
    for (const Prepared* p : batch)
      for (const Encoding& e : p->rows) rows.push_back(&e);
    std::vector<Result> results(batch.size());
    std::vector<std::vector<double>> row_logits = detail::row_logits(model_, rows, length_, ws);
    std::size_t r = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::vector<std::vector<double>> rows_logits;
      std::vector<RawWindow> raw;
      for (const Encoding& e : batch[i]->rows) {
        rows_logits.push_back(std::move(row_logits[r++]));
        if (options_.raw) {
          raw.push_back(detail::raw_window(e));
          raw.back().outputs["logits"] = rows_logits.back();
        }
      }
      results[i] = rank_candidates(batch[i]->sequence, batch[i]->labels, rows_logits, entail_, contradict_, options_.multi_label);
      results[i].raw = std::move(raw);
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
  std::int64_t length_ = 0, entail_ = 0, contradict_ = 0;
};

}  // namespace fnet
