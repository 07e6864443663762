// FillMaskPipeline: transformers' pipeline("fill-mask") over an FNetForMaskedLM checkpoint: for each
// [MASK] in the text, the top_k tokens by probability (softmax over the whole vocabulary), or only among
// `targets`. A target that is not a piece of the vocabulary is replaced by the first piece it tokenizes
// to, as transformers does. `sequence` is the input text (up to the row's last token) with that mask
// replaced by the token's text.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "fnet/models/masked_lm.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

struct FillMaskOptions {
  std::int64_t max_length = 0;
  std::int64_t top_k = 5;
  std::vector<std::string> targets;  // empty: the whole vocabulary
  bool raw = false;
};

struct FillMaskInput {
  std::string text;
};

struct MaskCandidate {
  double score = 0;
  std::int32_t token = 0;
  std::string token_str;
  std::string sequence;
};

struct FillMaskResult {
  std::vector<std::vector<MaskCandidate>> masks;  // per [MASK], in order
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const MaskCandidate& c) {
  j = {{"score", c.score}, {"token", c.token}, {"token_str", c.token_str}, {"sequence", c.sequence}};
}
// As transformers: one mask → its list; several → a list per mask.
inline void to_json(nlohmann::json& j, const FillMaskResult& r) {
  if (r.masks.size() == 1) j = r.masks.front();
  else j = r.masks;
}

namespace detail {
// A piece as text: '▁' markers become spaces, then stripped (what decoding one token gives).
inline std::string piece_text(std::string piece) {
  for (std::size_t at; (at = piece.find(kWordMarker)) != std::string::npos;) piece.replace(at, kWordMarker.size(), " ");
  const std::size_t b = piece.find_first_not_of(' '), e = piece.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : piece.substr(b, e - b + 1);
}
}  // namespace detail

template <class Scalar = float>
class FillMaskPipeline {
 public:
  using Input = FillMaskInput;
  using Result = FillMaskResult;
  using Options = FillMaskOptions;
  struct Prepared {
    std::string text;
    Encoding row;
    std::vector<std::size_t> masks;  // positions of [MASK] in the row
  };

  FillMaskPipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(FNetForMaskedLM<Scalar>::load(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.encoder().config(), 3, "fill-mask");
    if (options.top_k < 1) throw std::invalid_argument("fill-mask: top_k must be at least 1; got " + std::to_string(options.top_k));
    std::set<std::int32_t> seen;
    for (const std::string& target : options.targets) {
      std::int32_t id = tokenizer_.piece_to_id(target);
      if (id == tokenizer_.unk_id() && target != tokenizer_.id_to_piece(tokenizer_.unk_id())) {
        const std::vector<std::string> pieces = tokenizer_.tokenize(target);
        if (pieces.empty()) continue;
        id = tokenizer_.piece_to_id(pieces.front());
      }
      if (seen.insert(id).second) targets_.push_back(id);
    }
    if (!options.targets.empty() && targets_.empty())
      throw std::invalid_argument("fill-mask: no target tokenizes to a piece of the vocabulary");
  }

  std::int64_t max_length() const { return length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  // Throws std::invalid_argument when the text (as truncated to the row) has no [MASK].
  Prepared prepare(const Input& input) const {
    Prepared p{input.text, tokenizer_.encode(input.text, EncodeOptions{length_, Truncation::longest_first, true, 0}), {}};
    for (std::size_t t = 0; t < p.row.input_ids.size(); ++t)
      if (p.row.input_ids[t] == tokenizer_.mask_id() && p.row.sequence_ids[t] == 0) p.masks.push_back(t);
    // `sequence` outputs repeat the text per candidate: keep only what the row holds (as transformers'
    // decoded sequence, which ends where the truncated ids do).
    // A row without padding may have been truncated.
    if (p.row.input_ids.back() != tokenizer_.pad_id()) {
      std::int64_t end = 0;
      for (std::size_t t = 0; t < p.row.offsets.size(); ++t)
        if (p.row.sequence_ids[t] == 0) end = std::max(end, p.row.offsets[t].second);
      p.text.resize(static_cast<std::size_t>(end));
    }
    if (p.masks.empty()) throw std::invalid_argument("fill-mask: the text has no [MASK] token within the first " + std::to_string(length_) + " tokens");
    return p;
  }

  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<Result> results(batch.size());
    std::vector<const Encoding*> rows;
    for (const Prepared* p : batch) rows.push_back(&p->row);
    detail::forward_in_chunks(rows, length_, [&](const detail::Rows& input, std::size_t first) {
      const ModelOutput<Scalar> out = model_.encoder().forward(input.ids, input.types, ws);
      for (Index c = 0; c < input.ids.dimension(0); ++c) fill(*batch[first + std::size_t(c)], out, c, results[first + std::size_t(c)], ws);
    });
    return results;
  }

  Result operator()(const Input& input, Workspace<Scalar>& ws) const {
    const Prepared p = prepare(input);
    return run({&p}, ws).front();
  }

 private:
  // The candidates for every mask of one input, from row `row` of the forward pass `out`.
  void fill(const Prepared& p, const ModelOutput<Scalar>& out, Index row, Result& result, Workspace<Scalar>& ws) const {
    const Index hidden = out.hidden_states.dimension(2);
    const detail::CodePoints cps(p.text);
    std::vector<std::vector<double>> mask_logits;
    for (std::size_t m : p.masks) {
      const Scalar* h = out.hidden_states.data() + (row * length_ + Index(m)) * hidden;
      const MatrixMap<Scalar> logits = model_.predict(ConstMatrixMap<Scalar>(h, 1, hidden), ws);
      std::vector<double> z = detail::to_doubles(logits.row(0), logits.cols());
      const std::vector<double> probs = detail::softmax(z);
      const std::vector<std::int32_t> ids = detail::top_k_ids(probs, targets_, static_cast<std::size_t>(options_.top_k));
      const TextSpan mask = cps.span(p.row.char_offsets[m].first, p.row.char_offsets[m].second);
      std::vector<MaskCandidate> fills;
      for (std::size_t j = 0; j < ids.size(); ++j) {
        MaskCandidate candidate;
        candidate.token = ids[j];
        candidate.score = probs[std::size_t(ids[j])];
        candidate.token_str = detail::piece_text(tokenizer_.id_to_piece(ids[j]));
        candidate.sequence =
            p.text.substr(0, std::size_t(mask.byte_start)) + candidate.token_str + p.text.substr(std::size_t(mask.byte_end));
        fills.push_back(std::move(candidate));
      }
      result.masks.push_back(std::move(fills));
      if (options_.raw) mask_logits.push_back(std::move(z));
    }
    if (options_.raw) {
      result.raw.push_back(detail::raw_window(p.row));
      result.raw.back().outputs["mask_logits"] = std::move(mask_logits);
    }
  }

  FNetForMaskedLM<Scalar> model_;
  Tokenizer tokenizer_;
  Options options_;
  std::int64_t length_ = 0;
  std::vector<std::int32_t> targets_;
};

}  // namespace fnet
