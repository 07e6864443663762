// TokenClassificationPipeline: transformers' pipeline("token-classification") (NER) over an
// FNetForTokenClassification checkpoint, with its five aggregation strategies:
//   none     one entity per token: its best label (entity, score, index, word, start, end);
//   simple   tokens grouped into entities by their B-/I- tags (entity_group, score = mean);
//   first    per word, the first token's label; then grouped;
//   average  per word, the mean of its tokens' label scores; then grouped;
//   max      per word, the label of its most confident token; then grouped.
// A word starts at a piece beginning with '▁' (SentencePiece's word marker) or at the first token of the
// text. Entities whose label is in ignore_labels ("O") are dropped. `word` is the input text sliced at
// [start, end) — transformers re-decodes it from the pieces, which can differ from the input (case,
// spaces); ours is always what the offsets point at.
#pragma once

#include <string>
#include <vector>

#include "fnet/models/token_classification.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

enum class Aggregation { none, simple, first, average, max };

inline Aggregation parse_aggregation(const std::string& name) {
  if (name == "none") return Aggregation::none;
  if (name == "simple") return Aggregation::simple;
  if (name == "first") return Aggregation::first;
  if (name == "average") return Aggregation::average;
  if (name == "max") return Aggregation::max;
  throw std::invalid_argument("aggregation_strategy: expected none, simple, first, average or max; got '" + name + "'");
}

struct TokenClassificationOptions {
  std::int64_t max_length = 0;
  Aggregation aggregation_strategy = Aggregation::none;
  std::vector<std::string> ignore_labels{"O"};
  bool raw = false;
};

struct TokenClassificationInput {
  std::string text;
};

// An entity: a token (Aggregation::none: `index` is its position in the row) or a group of them.
struct Entity {
  std::string label;  // "entity" (none) or "entity_group" (the others: B-/I- prefix removed)
  double score = 0;
  std::int64_t index = -1;
  std::string word;
  TextSpan span;
};

struct TokenClassificationResult {
  bool grouped = false;  // the entities are groups (every strategy but none)
  std::vector<Entity> entities;
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const TokenClassificationResult& r) {
  j = nlohmann::json::array();
  for (const Entity& e : r.entities) {
    nlohmann::json o;
    if (r.grouped) {
      o = {{"entity_group", e.label}, {"score", e.score}, {"word", e.word}, {"start", e.span.start}, {"end", e.span.end}};
    } else {
      o = {{"entity", e.label}, {"score", e.score}, {"index", e.index}, {"word", e.word}, {"start", e.span.start}, {"end", e.span.end}};
    }
    j.push_back(std::move(o));
  }
}

// One token of the text as post-processing sees it.
struct TokenForTagging {
  std::string piece;
  std::int64_t start = 0, end = 0;  // code points
  bool special = false;             // [CLS], [SEP], <pad>, [MASK]: never an entity
};

namespace detail {

inline std::pair<std::string, std::string> bio_tag(const std::string& label) {
  if (label.rfind("B-", 0) == 0) return {"B", label.substr(2)};
  if (label.rfind("I-", 0) == 0) return {"I", label.substr(2)};
  return {"I", label};  // no prefix: a continuation of the same tag
}

struct ScoredToken {
  std::vector<double> scores;
  std::int64_t index, start, end;
  bool subword;
};

}  // namespace detail

// Post-processing: logits (one row per token, one column per label) → entities. `labels` are the
// label names by id. Throws std::invalid_argument when a logits row's length differs from labels.size().
inline TokenClassificationResult tag_tokens(std::string_view text, const std::vector<TokenForTagging>& tokens,
                                            const std::vector<std::vector<double>>& logits, const std::vector<std::string>& labels,
                                            Aggregation strategy, const std::vector<std::string>& ignore_labels) {
  const detail::CodePoints cps(text);
  auto label_of = [&](std::size_t i) { return labels[i]; };
  auto make = [&](std::string label, double score, std::int64_t index, std::int64_t start, std::int64_t end) {
    Entity e;
    e.label = std::move(label);
    e.score = score;
    e.index = index;
    e.span = cps.span(start, end);
    e.word = cps.slice(e.span);
    return e;
  };
  if (labels.empty()) throw std::invalid_argument("token-classification: no labels");
  for (const auto& row : logits)
    if (row.size() != labels.size())
      throw std::invalid_argument("token-classification: a logits row has " + std::to_string(row.size()) + " values for " +
                                  std::to_string(labels.size()) + " labels");

  std::vector<detail::ScoredToken> pre;  // transformers' pre-entities
  bool first_of_text = true;
  for (std::size_t t = 0; t < tokens.size() && t < logits.size(); ++t) {
    if (tokens[t].special) continue;
    const bool word_start = first_of_text || starts_word(tokens[t].piece);
    first_of_text = false;
    pre.push_back({detail::softmax(logits[t]), std::int64_t(t), tokens[t].start, tokens[t].end, !word_start});
  }

  std::vector<Entity> entities;
  if (strategy == Aggregation::none || strategy == Aggregation::simple) {
    for (const auto& p : pre) {
      const std::size_t best = detail::argmax(p.scores);
      entities.push_back(make(label_of(best), p.scores[best], p.index, p.start, p.end));
    }
  } else {
    // Words: runs of tokens, a new one at every token that is not a subword.
    for (std::size_t b = 0; b < pre.size();) {
      std::size_t e = b + 1;
      while (e < pre.size() && pre[e].subword) ++e;
      std::vector<double> scores;
      if (strategy == Aggregation::first) {
        scores = pre[b].scores;
      } else if (strategy == Aggregation::max) {
        std::size_t top = b;
        for (std::size_t i = b + 1; i < e; ++i)
          if (pre[i].scores[detail::argmax(pre[i].scores)] > pre[top].scores[detail::argmax(pre[top].scores)]) top = i;
        scores = pre[top].scores;
      } else {
        scores.assign(pre[b].scores.size(), 0.0);
        for (std::size_t i = b; i < e; ++i)
          for (std::size_t j = 0; j < scores.size(); ++j) scores[j] += pre[i].scores[j];
        for (double& s : scores) s /= double(e - b);
      }
      const std::size_t best = detail::argmax(scores);
      entities.push_back(make(label_of(best), scores[best], -1, pre[b].start, pre[e - 1].end));
      b = e;
    }
  }

  TokenClassificationResult result;
  result.grouped = strategy != Aggregation::none;
  if (result.grouped) {
    // transformers' group_entities: consecutive entities of one tag, each but the first not a "B-".
    std::vector<Entity> groups;
    std::size_t b = 0;
    for (std::size_t i = 1; i <= entities.size(); ++i) {
      const bool close = i == entities.size() || [&] {
        const auto [bi, tag] = detail::bio_tag(entities[i].label);
        return tag != detail::bio_tag(entities[i - 1].label).second || bi == "B";
      }();
      if (!close) continue;
      if (i > b) {
        double total = 0;
        for (std::size_t k = b; k < i; ++k) total += entities[k].score;
        const std::string& first = entities[b].label;
        const std::size_t dash = first.find('-');
        groups.push_back(make(dash == std::string::npos ? first : first.substr(dash + 1), total / double(i - b), -1,
                              entities[b].span.start, entities[i - 1].span.end));
      }
      b = i;
    }
    entities = std::move(groups);
  }
  for (Entity& e : entities)
    if (std::find(ignore_labels.begin(), ignore_labels.end(), e.label) == ignore_labels.end())
      result.entities.push_back(std::move(e));
  return result;
}

template <class Scalar = float>
class TokenClassificationPipeline {
 public:
  using Input = TokenClassificationInput;
  using Result = TokenClassificationResult;
  using Options = TokenClassificationOptions;
  struct Prepared {
    std::string text;
    Encoding row;
  };

  TokenClassificationPipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(FNetForTokenClassification<Scalar>::load(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.config(), 2, "token-classification");
    if (model_.config().num_labels() < 1) throw format_error(model_dir + "/config.json: token-classification needs at least one label");
    for (std::int64_t i = 0; i < model_.config().num_labels(); ++i) {
      const auto name = model_.config().id2label.find(i);
      labels_.push_back(name != model_.config().id2label.end() ? name->second : "LABEL_" + std::to_string(i));
    }
  }

  std::int64_t max_length() const { return length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  Prepared prepare(const Input& input) const {
    return {input.text, tokenizer_.encode(input.text, EncodeOptions{length_, Truncation::longest_first, true, 0})};
  }

  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<Result> results(batch.size());
    std::vector<const Encoding*> rows;
    for (const Prepared* p : batch) rows.push_back(&p->row);
    detail::forward_in_chunks(rows, length_, [&](const detail::Rows& input, std::size_t first) {
      const auto out = model_.forward(input.ids, input.types, ws);
      const Index labels = out.logits.dimension(2);
      for (Index c = 0; c < out.logits.dimension(0); ++c) {
        const std::size_t i = first + std::size_t(c);
        const Encoding& e = batch[i]->row;
        std::vector<TokenForTagging> tokens(e.input_ids.size());
        std::vector<std::vector<double>> logits(e.input_ids.size(), std::vector<double>(std::size_t(labels)));
        for (std::size_t t = 0; t < e.input_ids.size(); ++t) {
          tokens[t] = {tokenizer_.id_to_piece(e.input_ids[t]), e.char_offsets[t].first, e.char_offsets[t].second,
                       e.sequence_ids[t] < 0 || detail::is_special(tokenizer_, e.input_ids[t])};
          for (Index j = 0; j < labels; ++j) logits[t][std::size_t(j)] = double(out.logits(c, Index(t), j));
        }
        results[i] = tag_tokens(batch[i]->text, tokens, logits, labels_, options_.aggregation_strategy, options_.ignore_labels);
        if (options_.raw) {
          results[i].raw.push_back(detail::raw_window(e));
          results[i].raw.back().outputs["logits"] = logits;
        }
      }
    });
    return results;
  }

  Result operator()(const Input& input, Workspace<Scalar>& ws) const {
    const Prepared p = prepare(input);
    return run({&p}, ws).front();
  }

 private:
  FNetForTokenClassification<Scalar> model_;
  Tokenizer tokenizer_;
  Options options_;
  std::int64_t length_ = 0;
  std::vector<std::string> labels_;
};

}  // namespace fnet
