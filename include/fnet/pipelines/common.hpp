// What every pipeline shares: the padded length, stacking encodings into model input rows, code-point
// offsets, scores (detail/probability.hpp), and the raw-output record of --raw.
//
// Every pipeline pads each model input row to one fixed length L (tokenizer_config.json's
// model_max_length, else max_position_embeddings), because FNet has no attention mask: padding goes
// through the Fourier transform and is part of the input (docs/tokenizer.md). Character offsets in
// pipeline outputs are code points (Python string indices, as in transformers); `TextSpan` carries the
// UTF-8 byte offsets too, for C++ callers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fnet/detail/probability.hpp"
#include "fnet/config.hpp"
#include "fnet/tensor.hpp"
#include "fnet/text/tokenizer.hpp"
#include "fnet/workspace.hpp"

namespace fnet {

// [start, end) of a piece of an input text: in code points (start, end) and in UTF-8 bytes.
struct TextSpan {
  std::int64_t start = 0, end = 0;
  std::int64_t byte_start = 0, byte_end = 0;
};

// One model input row as the pipeline ran it, for --raw: ids, code-point offsets and the model's
// outputs for the row, named as transformers names them ("logits", "start_logits", "end_logits").
struct RawWindow {
  std::vector<std::int32_t> input_ids;
  std::vector<std::pair<std::int64_t, std::int64_t>> offsets;
  nlohmann::json outputs = nlohmann::json::object();
};

inline void to_json(nlohmann::json& j, const RawWindow& w) {
  j = w.outputs;
  j["input_ids"] = w.input_ids;
  j["offsets"] = w.offsets;
}

namespace detail {

// The code-point → byte table of a UTF-8 text (valid; the tokenizer checked it): entry i is the byte
// where code point i starts, the last entry is the text's size.
class CodePoints {
 public:
  explicit CodePoints(std::string_view text) : text_(text) {
    for (std::size_t i = 0; i < text.size(); ++i)
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) bytes_.push_back(static_cast<std::int64_t>(i));
    bytes_.push_back(static_cast<std::int64_t>(text.size()));
  }
  std::int64_t size() const { return static_cast<std::int64_t>(bytes_.size()) - 1; }
  // Clamped to [0, size()], so hand-made or fuzzed offsets can never slice outside the text.
  std::int64_t byte(std::int64_t code_point) const {
    return bytes_[static_cast<std::size_t>(std::clamp<std::int64_t>(code_point, 0, size()))];
  }
  TextSpan span(std::int64_t start, std::int64_t end) const {
    start = std::clamp<std::int64_t>(start, 0, size());
    end = std::clamp<std::int64_t>(end, start, size());
    return {start, end, byte(start), byte(end)};
  }
  std::string slice(const TextSpan& s) const {
    return std::string(text_.substr(static_cast<std::size_t>(s.byte_start), static_cast<std::size_t>(s.byte_end - s.byte_start)));
  }

 private:
  std::string_view text_;
  std::vector<std::int64_t> bytes_;
};

inline std::size_t argmax(const std::vector<double>& x) {
  return static_cast<std::size_t>(std::max_element(x.begin(), x.end()) - x.begin());
}

// Indices of `scores` by score, descending; ties keep index order.
inline std::vector<std::size_t> order_by_score(const std::vector<double>& scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

// The padded length every row is run at: `requested` when positive, else the tokenizer's
// model_max_length, else max_position_embeddings; it must lie in [min_length, max_position_embeddings].
inline std::int64_t padded_length(std::int64_t requested, const Tokenizer& tokenizer, const Config& config,
                                  std::int64_t min_length, const std::string& who) {
  const std::int64_t limit = config.max_position_embeddings;
  const std::int64_t length = requested > 0 ? requested : tokenizer.model_max_length() > 0 ? tokenizer.model_max_length() : limit;
  if (length < min_length || length > limit)
    throw std::invalid_argument(who + ": max length " + std::to_string(length) + " is outside [" + std::to_string(min_length) +
                                ", max_position_embeddings=" + std::to_string(limit) + "]");
  if (tokenizer.vocab_size() > config.vocab_size)
    throw format_error(who + ": the tokenizer's vocabulary of " + std::to_string(tokenizer.vocab_size()) +
                       " pieces does not fit the model's vocab_size " + std::to_string(config.vocab_size));
  return length;
}

// Encodings (each exactly `length` long) stacked into the (rows, length) input of one forward pass.
struct Rows {
  TokenIds ids, types;
  Rows(const std::vector<const Encoding*>& rows, std::int64_t length) : ids(Index(rows.size()), length), types(Index(rows.size()), length) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (static_cast<std::int64_t>(rows[r]->input_ids.size()) != length)
        throw std::logic_error("pipeline: a row of " + std::to_string(rows[r]->input_ids.size()) + " tokens in a batch of length " +
                               std::to_string(length));
      for (std::int64_t t = 0; t < length; ++t) {
        ids(Index(r), t) = rows[r]->input_ids[std::size_t(t)];
        types(Index(r), t) = rows[r]->token_type_ids[std::size_t(t)];
      }
    }
  }
};

// Rows per forward pass: a batch with more rows (many inputs, or one input with many windows, labels or
// choices) runs in several passes, so the workspace, which keeps its largest size, stays bounded.
inline constexpr std::size_t kRowsPerForward = 64;
// The rows one input may need (windows of a long text, candidate labels, choices); more is an input error
// (std::invalid_argument), reported for that input alone.
inline constexpr std::size_t kMaxRowsPerInput = 4096;

inline void check_rows(std::size_t rows, const std::string& who, const char* what) {
  if (rows > kMaxRowsPerInput)
    throw std::invalid_argument(who + ": the input needs " + std::to_string(rows) + " rows (" + what + "); at most " +
                                std::to_string(kMaxRowsPerInput) + " are allowed");
}

// Pairs put their second text in token type 1, which a model with type_vocab_size 1 has no embedding for.
inline void check_pairs(const Config& config, const std::string& who) {
  if (config.type_vocab_size < 2)
    throw std::invalid_argument(who + ": a pair of texts needs token type 1, but the model's type_vocab_size is " +
                                std::to_string(config.type_vocab_size));
}

// Calls visit(rows_of_the_chunk, index_of_its_first_row) for consecutive chunks of at most kRowsPerForward rows.
template <class Visit>
void forward_in_chunks(const std::vector<const Encoding*>& rows, std::int64_t length, Visit&& visit) {
  for (std::size_t b = 0; b < rows.size(); b += kRowsPerForward) {
    const std::vector<const Encoding*> chunk(rows.begin() + std::ptrdiff_t(b),
                                             rows.begin() + std::ptrdiff_t(std::min(rows.size(), b + kRowsPerForward)));
    visit(Rows(chunk, length), b);
  }
}

// One logits vector per row from a model whose forward() gives (rows, labels) logits (sequence
// classification), in forward passes of at most kRowsPerForward rows.
template <class Model, class Scalar>
std::vector<std::vector<double>> row_logits(const Model& model, const std::vector<const Encoding*>& rows, std::int64_t length,
                                            Workspace<Scalar>& ws) {
  std::vector<std::vector<double>> out(rows.size());
  forward_in_chunks(rows, length, [&](const Rows& input, std::size_t first) {
    const TensorView<Scalar, 2> logits = model.forward(input.ids, input.types, ws);
    for (Index r = 0; r < logits.dimension(0); ++r)
      for (Index j = 0; j < logits.dimension(1); ++j) out[first + std::size_t(r)].push_back(double(logits(r, j)));
  });
  return out;
}

inline RawWindow raw_window(const Encoding& e) { return {e.input_ids, e.char_offsets, nlohmann::json::object()}; }

template <class Row>
std::vector<double> to_doubles(const Row& row, Index n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) out[std::size_t(i)] = static_cast<double>(row(i));
  return out;
}

// True for the ids a pipeline never reports as text: [CLS], [SEP], <pad>, [MASK].
inline bool is_special(const Tokenizer& tok, std::int32_t id) {
  return id == tok.cls_id() || id == tok.sep_id() || id == tok.pad_id() || id == tok.mask_id();
}

}  // namespace detail
}  // namespace fnet
