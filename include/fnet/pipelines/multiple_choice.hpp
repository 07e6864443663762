// MultipleChoicePipeline: a question (or context) and its choices through an FNetForMultipleChoice
// checkpoint (transformers has the model class but no pipeline for it). Each choice is paired with the
// question ([CLS] question [SEP] choice [SEP], longest_first truncation); the model scores every pair and
// the scores are the softmax over the choices.
#pragma once

#include <string>
#include <vector>

#include "fnet/models/multiple_choice.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

struct MultipleChoiceOptions {
  std::int64_t max_length = 0;
  bool raw = false;
};

struct MultipleChoiceInput {
  std::string question;
  std::vector<std::string> choices;
};

struct MultipleChoiceResult {
  std::vector<double> scores;  // softmax over the choices, in input order
  std::vector<double> logits;
  std::int64_t best = 0;
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const MultipleChoiceResult& r) {
  j = {{"scores", r.scores}, {"logits", r.logits}, {"best", r.best}};
}

template <class Scalar = float>
class MultipleChoicePipeline {
 public:
  using Input = MultipleChoiceInput;
  using Result = MultipleChoiceResult;
  using Options = MultipleChoiceOptions;
  struct Prepared {
    std::vector<Encoding> rows;  // one per choice
  };

  MultipleChoicePipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(FNetForMultipleChoice<Scalar>::load(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.config(), 3, "multiple-choice");
    detail::check_pairs(model_.config(), "multiple-choice " + model_dir);
  }

  std::int64_t max_length() const { return length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  Prepared prepare(const Input& input) const {
    if (input.choices.empty()) throw std::invalid_argument("multiple-choice: no choices");
    detail::check_rows(input.choices.size(), "multiple-choice", "one per choice");
    Prepared p;
    for (const std::string& choice : input.choices)
      p.rows.push_back(tokenizer_.encode_pair(input.question, choice, EncodeOptions{length_, Truncation::longest_first, true, 0}));
    return p;
  }

  // Inputs with the same number of choices share a forward pass ((inputs, choices, L) ids), up to
  // kRowsPerForward rows (one input always fits: its choices are capped at kMaxRowsPerInput).
  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<Result> results(batch.size());
    std::vector<bool> done(batch.size(), false);
    for (std::size_t first = 0; first < batch.size(); ++first) {
      if (done[first]) continue;
      const std::size_t choices = batch[first]->rows.size();
      std::vector<std::size_t> group;
      for (std::size_t i = first; i < batch.size(); ++i)
        if (!done[i] && batch[i]->rows.size() == choices && (group.empty() || (group.size() + 1) * choices <= detail::kRowsPerForward))
          group.push_back(i), done[i] = true;
      ChoiceTokenIds ids(Index(group.size()), Index(choices), length_), types(Index(group.size()), Index(choices), length_);
      for (std::size_t g = 0; g < group.size(); ++g)
        for (std::size_t c = 0; c < choices; ++c)
          for (std::int64_t t = 0; t < length_; ++t) {
            ids(Index(g), Index(c), t) = batch[group[g]]->rows[c].input_ids[std::size_t(t)];
            types(Index(g), Index(c), t) = batch[group[g]]->rows[c].token_type_ids[std::size_t(t)];
          }
      const TensorView<Scalar, 2> logits = model_.forward(ids, types, ws);
      for (std::size_t g = 0; g < group.size(); ++g) {
        Result& r = results[group[g]];
        for (std::size_t c = 0; c < choices; ++c) r.logits.push_back(double(logits(Index(g), Index(c))));
        r.scores = detail::softmax(r.logits);
        r.best = std::int64_t(detail::argmax(r.logits));
        if (options_.raw)
          for (std::size_t c = 0; c < choices; ++c) {
            r.raw.push_back(detail::raw_window(batch[group[g]]->rows[c]));
            r.raw.back().outputs["logits"] = std::vector<double>{r.logits[c]};
          }
      }
    }
    return results;
  }

  Result operator()(const Input& input, Workspace<Scalar>& ws) const {
    const Prepared p = prepare(input);
    return run({&p}, ws).front();
  }

 private:
  FNetForMultipleChoice<Scalar> model_;
  Tokenizer tokenizer_;
  Options options_;
  std::int64_t length_ = 0;
};

}  // namespace fnet
