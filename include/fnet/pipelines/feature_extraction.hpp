// FeatureExtractionPipeline: transformers' pipeline("feature-extraction") over any FNet checkpoint's
// encoder: the last hidden state of every token of the text ([CLS] .. [SEP], padding left out), or one
// sentence vector: the [CLS] token's hidden state, the pooler's output (tanh dense on [CLS]), or the mean
// over the text's tokens ([CLS] and [SEP] included, padding excluded: FNet has no attention mask, but the
// padded positions are not part of the text).
#pragma once

#include <string>
#include <vector>

#include "fnet/io/load.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

enum class Pooling { none, cls, pooler, mean };

inline Pooling parse_pooling(const std::string& name) {
  if (name == "none") return Pooling::none;
  if (name == "cls") return Pooling::cls;
  if (name == "pooler") return Pooling::pooler;
  if (name == "mean") return Pooling::mean;
  throw std::invalid_argument("pooling: expected none, cls, pooler or mean; got '" + name + "'");
}

struct FeatureExtractionOptions {
  std::int64_t max_length = 0;
  Pooling pooling = Pooling::none;
  bool raw = false;
};

struct FeatureExtractionInput {
  std::string text;
};

struct FeatureExtractionResult {
  std::vector<std::vector<double>> vectors;  // one per token (Pooling::none), else exactly one
  bool pooled = false;
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const FeatureExtractionResult& r) {
  if (r.pooled) j = r.vectors.front();
  else j = r.vectors;
}

template <class Scalar = float>
class FeatureExtractionPipeline {
 public:
  using Input = FeatureExtractionInput;
  using Result = FeatureExtractionResult;
  using Options = FeatureExtractionOptions;
  struct Prepared {
    Encoding row;
    std::size_t tokens = 0;  // [CLS] .. [SEP]
  };

  FeatureExtractionPipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(load_model<Scalar>(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.config(), 2, "feature-extraction");
  }

  std::int64_t max_length() const { return length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  Prepared prepare(const Input& input) const {
    Prepared p{tokenizer_.encode(input.text, EncodeOptions{length_, Truncation::longest_first, true, 0}), 0};
    p.tokens = p.row.input_ids.size();
    // The text's tokens end at the (only) [SEP]; everything after it is padding.
    for (std::size_t t = 1; t < p.row.input_ids.size(); ++t)
      if (p.row.input_ids[t] == tokenizer_.sep_id() && p.row.sequence_ids[t] < 0) {
        p.tokens = t + 1;
        break;
      }
    return p;
  }

  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<Result> results(batch.size());
    std::vector<const Encoding*> rows;
    for (const Prepared* p : batch) rows.push_back(&p->row);
    detail::forward_in_chunks(rows, length_, [&](const detail::Rows& input, std::size_t first) {
      const ModelOutput<Scalar> out = model_.forward(input.ids, input.types, ws);
      for (Index c = 0; c < input.ids.dimension(0); ++c) vectors(*batch[first + std::size_t(c)], out, c, results[first + std::size_t(c)]);
    });
    return results;
  }

  Result operator()(const Input& input, Workspace<Scalar>& ws) const {
    const Prepared p = prepare(input);
    return run({&p}, ws).front();
  }

 private:
  // The result of one input from row `row` of the forward pass `out`.
  void vectors(const Prepared& p, const ModelOutput<Scalar>& out, Index row, Result& r) const {
    const Index hidden = out.hidden_states.dimension(2);
    auto token = [&](std::size_t t) {
      std::vector<double> v(static_cast<std::size_t>(hidden));
      for (Index h = 0; h < hidden; ++h) v[std::size_t(h)] = double(out.hidden_states(row, Index(t), h));
      return v;
    };
    const std::size_t n = p.tokens;
    r.pooled = options_.pooling != Pooling::none;
    if (options_.pooling == Pooling::none) {
      for (std::size_t t = 0; t < n; ++t) r.vectors.push_back(token(t));
    } else if (options_.pooling == Pooling::cls) {
      r.vectors.push_back(token(0));
    } else if (options_.pooling == Pooling::pooler) {
      std::vector<double> v(static_cast<std::size_t>(hidden));
      for (Index h = 0; h < hidden; ++h) v[std::size_t(h)] = double(out.pooled(row, h));
      r.vectors.push_back(std::move(v));
    } else {
      std::vector<double> mean(static_cast<std::size_t>(hidden), 0.0);
      for (std::size_t t = 0; t < n; ++t) {
        const std::vector<double> v = token(t);
        for (std::size_t h = 0; h < v.size(); ++h) mean[h] += v[h];
      }
      for (double& m : mean) m /= double(n);
      r.vectors.push_back(std::move(mean));
    }
    if (options_.raw) r.raw.push_back(detail::raw_window(p.row));
  }

  FNetModel<Scalar> model_;
  Tokenizer tokenizer_;
  Options options_;
  std::int64_t length_ = 0;
};

}  // namespace fnet
