// fnet::Tokenizer: text -> FNet input ids, identical to Hugging Face's slow FNetTokenizer, with every
// token's character span in the caller's text.
//
// A model directory holds `spiece.model` (SentencePiece) and optionally `tokenizer_config.json`. Tokenizing a
// text follows transformers' FNetTokenizer (adapted from ALBERT's) and PreTrainedTokenizer.tokenize:
//
//  0. With do_lower_case, the text is lower-cased (Python's str.lower(): full case mapping, Final_Sigma),
//     except where it spells a special token.
//  1. The special-token strings (unk, sep, pad, cls, mask) are split out of the text, leftmost then longest
//     match, and map straight to their ids: "a [SEP] b" contains a real separator. Whitespace next to one is
//     stripped as its AddedToken flags say (plain strings: both sides; the mask token: left only).
//  2. Each piece of text in between is preprocessed: with remove_space, stripped and every whitespace run
//     collapsed to one space (Python's str.split(): Unicode whitespace such as NBSP and U+3000 counts);
//     "``" and "''" become '"'; without keep_accents, NFKD and combining marks dropped; with
//     do_lower_case, lower-cased again (ICU, detail/aligned_text.hpp).
//  3. SentencePiece encodes it; then the digit-comma rule: a piece ending in a digit followed by ',' is
//     re-encoded without the comma (and without '▁' markers it did not start with), the ',' appended as a
//     piece of its own, so "1,000," tokenizes like the number and a separate comma.
//  4. Pieces map to ids with PieceToId (unknown pieces -> <unk>) and become [CLS] A [SEP] (token types 0)
//     or [CLS] A [SEP] B [SEP] (B and its [SEP] typed 1), truncated to max_length and right-padded with
//     <pad> (type 0) to exactly max_length. FNet has no attention mask, so padding is part of the input:
//     see docs/tokenizer.md.
//
// Offsets: every token of a text carries its [begin, end) span in that text, in UTF-8 bytes and in code
// points (transformers' offset_mapping); a piece "▁word" spans "word", not the space (or literal '▁') before
// it. Pieces SentencePiece makes from one source character (a ligature, '½') all span that character. The spans
// are tracked through every step above. [CLS], [SEP] and padding get (0, 0).
//
// Truncation (EncodeOptions): longest_first (the default; for pairs one token at a time from the longer
// text, the second on ties, as the slow tokenizer), only_first, only_second, do_not_truncate. With
// return_overflowing_tokens the text that does not fit continues in further rows, consecutive windows
// sharing `stride` tokens, as transformers' fast tokenizers return them (encode_windows).
//
// Deliberate differences from Hugging Face, shared with the Python reference tests/reference/fnet_tokenizer.py:
//  * a single text is always truncated to fit (at worst to [CLS] [SEP]); HF leaves it too long when
//    max_length cannot hold the special tokens. Pairs need max_length >= 3.
//  * every special token must be in the SentencePiece vocabulary; additional_special_tokens,
//    added_tokens.json and tokenizer.json are ignored;
//  * a model_max_length above 2^31-1 (HF writes 1e30 for "unlimited") counts as absent;
//  * input that is not valid UTF-8 throws std::invalid_argument (Python cannot even hold it in a str).
// Defaults when tokenizer_config.json is absent or silent: keep_accents true (the value google/fnet-base and
// -large ship with; the HF class default is false), do_lower_case false, remove_space true. Character
// classes follow CPython 3.11's Unicode 14.0 tables (detail/text.hpp); lower-casing and NFKD come from ICU
// (Debian's ICU 72: Unicode 15.0, which differs from 14.0 only for characters new in 15.0).
//
// Thread safety: a loaded Tokenizer is immutable; its const methods may run concurrently. Copies share the
// SentencePiece model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>

#include "fnet/detail/aligned_text.hpp"
#include "fnet/detail/json_util.hpp"
#include "fnet/detail/text.hpp"
#include "fnet/error.hpp"
#include "fnet/tensor.hpp"

namespace fnet {

// SentencePiece's word marker, U+2581 ('▁'): a piece that begins with it begins a word.
inline constexpr std::string_view kWordMarker = "\xE2\x96\x81";
inline bool starts_word(std::string_view piece) { return piece.substr(0, kWordMarker.size()) == kWordMarker; }

// One encoded sequence (or pair): per token, its id, type, source text and span.
struct Encoding {
  std::vector<std::int32_t> input_ids;
  std::vector<std::int32_t> token_type_ids;
  // [begin, end) of each token in the text it came from (for a pair, B's tokens count in B), in UTF-8 bytes
  // (`offsets`, what C++ slices with) and in code points (`char_offsets`, transformers' offset_mapping);
  // (0, 0) for [CLS], [SEP] and padding.
  std::vector<std::pair<std::int64_t, std::int64_t>> offsets;
  std::vector<std::pair<std::int64_t, std::int64_t>> char_offsets;
  // 0 for a token of the first text, 1 of the second, -1 for [CLS], [SEP] and padding (HF's sequence_ids).
  std::vector<std::int32_t> sequence_ids;
};

// A batch, every row padded to the same max_length: both tensors are (batch, max_length).
struct BatchEncoding {
  TokenIds input_ids;
  TokenIds token_type_ids;
};

enum class Truncation { longest_first, only_first, only_second, do_not_truncate };

inline Truncation parse_truncation(const std::string& name) {
  if (name == "longest_first") return Truncation::longest_first;
  if (name == "only_first") return Truncation::only_first;
  if (name == "only_second") return Truncation::only_second;
  if (name == "do_not_truncate") return Truncation::do_not_truncate;
  throw std::invalid_argument("unknown truncation strategy '" + name +
                              "'; expected longest_first, only_first, only_second or do_not_truncate");
}

struct EncodeOptions {
  std::int64_t max_length = 0;  // 0: model_max_length (without one: neither truncation nor padding)
  Truncation truncation = Truncation::longest_first;
  bool pad = true;              // right-pad every row to max_length
  std::int64_t stride = 0;      // encode_windows: tokens shared by consecutive windows (< the window's room)
};

class Tokenizer {
 public:
  // Loads model_dir/spiece.model and, if present, model_dir/tokenizer_config.json.
  // Throws io_error when the directory or spiece.model cannot be read, format_error when either file is
  // malformed, a special token is missing from the vocabulary, or an unsupported option is set.
  explicit Tokenizer(const std::filesystem::path& model_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(model_dir, ec))
      throw io_error("tokenizer: model directory " + model_dir.string() + " does not exist or is not a directory");
    const fs::path model_file = model_dir / "spiece.model";
    load_sentencepiece(model_file);
    const fs::path config_file = model_dir / "tokenizer_config.json";
    if (fs::exists(config_file, ec)) load_config(config_file);
    resolve_special_ids(model_file);
  }

  // Pieces of `text` (no [CLS]/[SEP] added), as Hugging Face's tokenizer.tokenize(text).
  // Throws std::invalid_argument when text is not valid UTF-8.
  std::vector<std::string> tokenize(std::string_view text) const {
    detail::validate_utf8(text, "Tokenizer::tokenize: text");
    return tokenize_valid(text);
  }

  std::vector<std::int32_t> convert_tokens_to_ids(const std::vector<std::string>& pieces) const {
    std::vector<std::int32_t> ids;
    ids.reserve(pieces.size());
    for (const auto& p : pieces) ids.push_back(static_cast<std::int32_t>(sp_->PieceToId(p)));
    return ids;
  }

  // [CLS] text [SEP], truncated to max_length and, when pad, padded to exactly max_length.
  // Throws std::invalid_argument for max_length < 2 or text that is not valid UTF-8.
  Encoding encode(std::string_view text, std::int64_t max_length, bool pad = true) const {
    check_max_length(max_length, 2, "Tokenizer::encode");
    return encode(text, EncodeOptions{max_length, Truncation::longest_first, pad, 0});
  }

  // As encode(text, max_length) with max_length = model_max_length(); without one, nothing is truncated
  // or padded.
  Encoding encode(std::string_view text) const { return encode(text, EncodeOptions{}); }

  // [CLS] a [SEP] b [SEP], 'longest_first' truncation to max_length, padded when pad.
  // Throws std::invalid_argument for max_length < 3 or text that is not valid UTF-8.
  Encoding encode_pair(std::string_view a, std::string_view b, std::int64_t max_length, bool pad = true) const {
    check_max_length(max_length, 3, "Tokenizer::encode_pair");
    return encode_pair(a, b, EncodeOptions{max_length, Truncation::longest_first, pad, 0});
  }
  Encoding encode_pair(std::string_view a, std::string_view b) const { return encode_pair(a, b, EncodeOptions{}); }

  // With every option (the first row of encode_windows; stride is not used).
  Encoding encode(std::string_view text, const EncodeOptions& options) const {
    return encode_rows(text, nullptr, options, false).front();
  }
  Encoding encode_pair(std::string_view a, std::string_view b, const EncodeOptions& options) const {
    return encode_rows(a, &b, options, false).front();
  }

  // The text in as many rows as it needs: the first as encode() gives it, then the overflow, each row a
  // complete model input ([CLS] ... [SEP], padded), consecutive windows sharing options.stride tokens —
  // transformers' return_overflowing_tokens=True with a fast tokenizer. For a pair, only_second windows the
  // second text and repeats the first whole in every row (question answering over a long context),
  // only_first the reverse; longest_first shares max_length between the two as transformers does and
  // windows both. Throws std::invalid_argument when stride leaves no room to advance.
  std::vector<Encoding> encode_windows(std::string_view text, const EncodeOptions& options) const {
    return encode_rows(text, nullptr, options, true);
  }
  std::vector<Encoding> encode_pair_windows(std::string_view a, std::string_view b, const EncodeOptions& options) const {
    return encode_rows(a, &b, options, true);
  }

  // Every text encoded and padded to max_length: (texts.size(), max_length) tensors.
  BatchEncoding encode_batch(const std::vector<std::string>& texts, std::int64_t max_length) const {
    check_max_length(max_length, 2, "Tokenizer::encode_batch");
    BatchEncoding out = make_batch(texts.size(), max_length);
    for (std::size_t r = 0; r < texts.size(); ++r) store_row(out, r, encode(texts[r], max_length));
    return out;
  }

  BatchEncoding encode_pair_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                  std::int64_t max_length) const {
    check_max_length(max_length, 3, "Tokenizer::encode_pair_batch");
    BatchEncoding out = make_batch(pairs.size(), max_length);
    for (std::size_t r = 0; r < pairs.size(); ++r)
      store_row(out, r, encode_pair(pairs[r].first, pairs[r].second, max_length));
    return out;
  }

  // The text SentencePiece is given for `text` (steps 0-2 above, special tokens removed): what a token's
  // span, sliced from the original, normalises to. For tests and debugging.
  std::string normalize(std::string_view text) const {
    detail::validate_utf8(text, "Tokenizer::normalize: text");
    std::string out;
    for (const Chunk& c : chunks(text))
      if (!c.special) out += preprocess(c.text).text;
    return out;
  }

  // model_max_length from tokenizer_config.json; 0 when absent (the caller then uses the model's
  // max_position_embeddings).
  std::int64_t model_max_length() const { return model_max_length_; }

  std::int32_t vocab_size() const { return static_cast<std::int32_t>(sp_->GetPieceSize()); }
  std::int32_t pad_id() const { return pad_.id; }
  std::int32_t unk_id() const { return unk_.id; }
  std::int32_t cls_id() const { return cls_.id; }
  std::int32_t sep_id() const { return sep_.id; }
  std::int32_t mask_id() const { return mask_.id; }

  // Throws std::invalid_argument when id is not in [0, vocab_size()).
  std::string id_to_piece(std::int32_t id) const {
    if (id < 0 || id >= vocab_size())
      throw std::invalid_argument("Tokenizer::id_to_piece: id " + std::to_string(id) + " is outside [0, " +
                                  std::to_string(vocab_size()) + ")");
    return sp_->IdToPiece(id);
  }
  std::int32_t piece_to_id(std::string_view piece) const { return static_cast<std::int32_t>(sp_->PieceToId(piece)); }

  bool remove_space() const { return remove_space_; }
  bool keep_accents() const { return keep_accents_; }
  bool do_lower_case() const { return do_lower_case_; }

 private:
  struct Special {
    std::string content;
    bool lstrip = true;  // strip whitespace on its left (the end of the text before it)
    bool rstrip = true;  // strip whitespace on its right
    std::int32_t id = -1;
  };

  void load_sentencepiece(const std::filesystem::path& model_file) {
    std::ifstream in(model_file, std::ios::binary);
    if (!in) throw io_error("tokenizer: cannot open " + model_file.string());
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error("tokenizer: error reading " + model_file.string());
    const auto status = sp_->LoadFromSerializedProto(bytes);
    if (!status.ok())
      throw format_error("tokenizer: " + model_file.string() +
                         " is not a valid SentencePiece model (expected a serialized ModelProto; " +
                         status.ToString() + ")");
    if (sp_->GetPieceSize() <= 0)
      throw format_error("tokenizer: " + model_file.string() + " has an empty vocabulary");
  }

  void load_config(const std::filesystem::path& config_file) {
    const std::string where = config_file.string();
    std::ifstream in(config_file);
    if (!in) throw io_error("tokenizer: cannot open " + where);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw format_error("tokenizer: " + where + " is not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw format_error("tokenizer: " + where + ": expected a JSON object, found " + j.type_name());

    const auto flag = [&](const char* key, bool& value) {
      if (!j.contains(key) || j[key].is_null()) return;
      if (!j[key].is_boolean())
        throw format_error("tokenizer: " + where + ": field '" + key + "' must be a boolean, found " +
                           j[key].type_name() + " " + detail::json_excerpt(j[key]));
      value = j[key].get<bool>();
    };
    flag("do_lower_case", do_lower_case_);
    flag("remove_space", remove_space_);
    flag("keep_accents", keep_accents_);

    const auto special = [&](const char* key, Special& tok) {
      if (!j.contains(key) || j[key].is_null()) return;
      const auto& v = j[key];
      if (v.is_string()) {
        tok.content = v.get<std::string>();  // keeps the token's default strip flags
      } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
        tok.content = v["content"].get<std::string>();
        const auto strip_flag = [&](const char* name) {
          if (!v.contains(name)) return false;
          if (!v[name].is_boolean())
            throw format_error("tokenizer: " + where + ": field '" + key + "." + name + "' must be a boolean, found " +
                               detail::json_excerpt(v[name]));
          return v[name].get<bool>();
        };
        tok.lstrip = strip_flag("lstrip");
        tok.rstrip = strip_flag("rstrip");
      } else {
        throw format_error("tokenizer: " + where + ": field '" + key +
                           "' must be a string or an object with a string 'content', found " + detail::json_excerpt(v));
      }
      try {
        detail::validate_utf8(tok.content, key);
      } catch (const std::invalid_argument& e) {
        throw format_error("tokenizer: " + where + ": " + e.what());
      }
      if (tok.content.empty()) throw format_error("tokenizer: " + where + ": field '" + key + "' is empty");
    };
    special("unk_token", unk_);
    special("sep_token", sep_);
    special("pad_token", pad_);
    special("cls_token", cls_);
    special("mask_token", mask_);

    if (j.contains("model_max_length") && !j["model_max_length"].is_null()) {
      const auto& v = j["model_max_length"];
      if (v.is_number_integer()) {
        const bool huge = v.is_number_unsigned() ? v.get<std::uint64_t>() > 2147483647u
                                                 : v.get<std::int64_t>() > 2147483647;
        if (!huge) {
          const auto n = v.get<std::int64_t>();
          if (n < 2)
            throw format_error("tokenizer: " + where + ": field 'model_max_length' must be at least 2, found " +
                               std::to_string(n));
          model_max_length_ = n;
        }
      } else if (!v.is_number_float()) {
        // A float (HF's 1e30 sentinel, or an integer too large for 64 bits) means "no limit".
        throw format_error("tokenizer: " + where + ": field 'model_max_length' must be a number, found " +
                           detail::json_excerpt(v));
      }
    }
  }

  void resolve_special_ids(const std::filesystem::path& model_file) {
    const std::string& unk_piece = sp_->IdToPiece(sp_->unk_id());
    const auto resolve = [&](const char* name, Special& tok) {
      tok.id = static_cast<std::int32_t>(sp_->PieceToId(tok.content));
      if (tok.id == sp_->unk_id() && tok.content != unk_piece)
        throw format_error("tokenizer: " + model_file.string() + ": " + name + " '" + tok.content +
                           "' is not in the vocabulary (expected a control or user-defined piece)");
    };
    resolve("unk_token", unk_);
    resolve("sep_token", sep_);
    resolve("pad_token", pad_);
    resolve("cls_token", cls_);
    resolve("mask_token", mask_);
  }

  static void check_max_length(std::int64_t max_length, std::int64_t minimum, const char* who) {
    if (max_length < minimum)
      throw std::invalid_argument(std::string(who) + ": max_length must be at least " + std::to_string(minimum) +
                                  " (room for the special tokens), got " + std::to_string(max_length));
  }

  // A token of one text: its id and its byte span in that text.
  struct Token {
    std::int32_t id;
    std::uint32_t begin, end;
  };
  using Tokens = std::vector<Token>;

  // A run of the text between special tokens (special == nullptr), or a special token, with the original
  // span of each of its bytes.
  struct Chunk {
    detail::AlignedText text;
    const Special* special;
  };

  // Steps 0 and 1: the text lower-cased outside special tokens (do_lower_case), then split on the special
  // tokens (leftmost occurrence, longest on ties), whitespace beside them stripped as their flags say.
  std::vector<Chunk> chunks(std::string_view original) const {
    detail::AlignedText text = detail::AlignedText::identity(original);
    if (do_lower_case_) {
      detail::AlignedText lowered;
      for (Chunk& c : split_specials(text)) {
        const detail::AlignedText part = c.special ? c.text : detail::lower(c.text);
        lowered.text += part.text;
        lowered.begin.insert(lowered.begin.end(), part.begin.begin(), part.begin.end());
        lowered.end.insert(lowered.end.end(), part.end.begin(), part.end.end());
      }
      text = std::move(lowered);
    }
    std::vector<Chunk> parts = split_specials(text);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const Special* s = parts[k].special;
      if (!s) continue;
      if (s->rstrip && k + 1 < parts.size() && !parts[k + 1].special) {
        detail::AlignedText& next = parts[k + 1].text;
        const std::size_t cut = next.text.size() - detail::python_lstrip(next.text).size();
        next = next.slice(cut, next.text.size());
      }
      if (s->lstrip && k > 0 && !parts[k - 1].special) {
        detail::AlignedText& prev = parts[k - 1].text;
        prev = prev.slice(0, detail::python_rstrip(prev.text).size());
      }
    }
    return parts;
  }

  std::vector<Chunk> split_specials(const detail::AlignedText& text) const {
    const Special* specials[] = {&unk_, &sep_, &pad_, &cls_, &mask_};
    std::vector<Chunk> parts;
    std::size_t start = 0;
    while (start < text.text.size()) {
      std::size_t best = std::string::npos;
      const Special* hit = nullptr;
      for (const Special* s : specials) {
        const std::size_t p = text.text.find(s->content, start);
        if (p == std::string::npos) continue;
        if (p < best || (p == best && s->content.size() > hit->content.size())) best = p, hit = s;
      }
      if (!hit) break;
      if (best > start) parts.push_back({text.slice(start, best), nullptr});
      parts.push_back({text.slice(best, best + hit->content.size()), hit});
      start = best + hit->content.size();
    }
    if (start < text.text.size()) parts.push_back({text.slice(start, text.text.size()), nullptr});
    return parts;
  }

  // Step 2.
  detail::AlignedText preprocess(const detail::AlignedText& text) const {
    detail::AlignedText out = remove_space_ ? detail::collapse_whitespace(text) : text;
    out = detail::replace_quotes(out);
    if (!keep_accents_) out = detail::strip_accents(out);
    if (do_lower_case_) out = detail::lower(out);
    return out;
  }

  // Steps 0-3 with spans: the tokens of text (already valid UTF-8), as pieces when `pieces` is given.
  Tokens tokens_of(std::string_view text, std::vector<std::string>* pieces = nullptr) const {
    Tokens out;
    for (const Chunk& chunk : chunks(text)) {
      if (chunk.text.text.empty()) continue;
      if (chunk.special) {
        out.push_back({chunk.special->id, chunk.text.begin.front(), chunk.text.end.back()});
        if (pieces) pieces->push_back(chunk.special->content);
        continue;
      }
      tokenize_chunk(preprocess(chunk.text), out, pieces);
    }
    return out;
  }

  std::vector<std::string> tokenize_valid(std::string_view text) const {
    std::vector<std::string> pieces;
    tokens_of(text, &pieces);
    return pieces;
  }

  sentencepiece::ImmutableSentencePieceText sp_encode(std::string_view text) const {
    // Text that normalises to nothing (control characters only) legitimately gives no pieces; only a
    // failed status is an error.
    sentencepiece::ImmutableSentencePieceText spt;
    const auto status = sp_->Encode(absl::string_view(text.data(), text.size()), spt.mutable_proto());
    if (!status.ok())
      throw error("tokenizer: SentencePiece could not encode a text of " + std::to_string(text.size()) +
                  " bytes: " + status.ToString());
    return spt;
  }

  // The first byte in [b, e) of s that does not start a (Python) whitespace character or a literal '▁'
  // (SentencePiece reads the text's own U+2581 as its word marker).
  static std::size_t skip_space(std::string_view s, std::size_t b, std::size_t e) {
    while (b < e) {
      std::size_t next = b;
      char32_t cp = 0;
      if (!detail::utf8_next(s, next, cp) || !(detail::is_python_space(cp) || cp == 0x2581)) break;
      b = next;
    }
    return b;
  }

  // The span of the text bytes [b, e) of `text` in the original; a piece that starts a word ("▁word")
  // spans only the word: its leading whitespace is skipped (a lone "▁" gets the empty span after it).
  static std::pair<std::uint32_t, std::uint32_t> span(const detail::AlignedText& text, std::size_t b, std::size_t e,
                                                      bool word_start) {
    if (word_start) b = skip_space(text.text, b, e);
    if (b >= e) {
      const std::uint32_t at = e < text.text.size() ? text.begin[e] : (text.end.empty() ? 0 : text.end.back());
      return {at, at};
    }
    return {text.begin[b], text.end[e - 1]};
  }

  void tokenize_chunk(const detail::AlignedText& text, Tokens& out, std::vector<std::string>* pieces) const {
    const auto spt = sp_encode(text.text);
    for (std::size_t k = 0; k < spt.pieces_size(); ++k) {
      const auto sp_piece = spt.pieces(static_cast<int>(k));
      const std::string& piece = sp_piece.piece();
      const std::size_t b = sp_piece.begin(), e = sp_piece.end();
      // The digit-comma rule: a piece of two or more characters whose last is ',' and whose second-to-last
      // is a digit (Python str.isdigit()).
      bool split = false;
      if (piece.size() >= 2 && piece.back() == ',') {
        const auto offsets = detail::utf8_offsets(piece);  // characters + 1 entries
        if (offsets.size() >= 3) {
          std::size_t i = offsets[offsets.size() - 3];
          char32_t before_comma = 0;
          detail::utf8_next(piece, i, before_comma);
          split = detail::is_python_digit(before_comma);
        }
      }
      if (!split || e <= b) {
        const auto [sb, se] = span(text, b, e, starts_word(piece));
        out.push_back({static_cast<std::int32_t>(sp_->PieceToId(piece)), sb, se});
        if (pieces) pieces->push_back(piece);
        continue;
      }
      // Re-encode the piece's body (its surface less leading space and the final comma: SentencePiece
      // normalises it back to the piece's text, so the pieces are those HF gets from the piece's text).
      const std::size_t body = skip_space(text.text, b, e);
      const std::size_t comma = e - 1;  // the surface ends with the ',' too
      const auto sub = sp_encode(std::string_view(text.text).substr(body, comma - body));
      bool first = true;
      for (std::size_t j = 0; j < sub.pieces_size(); ++j) {
        const auto sub_piece = sub.pieces(static_cast<int>(j));
        std::string s = sub_piece.piece();
        if (first && !starts_word(piece) && starts_word(s)) {
          first = false;
          if (s.size() == kWordMarker.size()) continue;
          s.erase(0, kWordMarker.size());
        }
        first = false;
        const auto [sb, se] = span(text, body + sub_piece.begin(), body + sub_piece.end(), starts_word(s));
        out.push_back({static_cast<std::int32_t>(sp_->PieceToId(s)), sb, se});
        if (pieces) pieces->push_back(std::move(s));
      }
      out.push_back({static_cast<std::int32_t>(sp_->PieceToId(",")), text.begin[comma], text.end[comma]});
      if (pieces) pieces->emplace_back(",");
    }
  }

  // ---- layout, truncation and windows -------------------------------------------------------------------

  Tokens checked_tokens(std::string_view text, const char* what) const {
    detail::validate_utf8(text, what);
    return tokens_of(text);
  }

  // encode / encode_pair / encode_windows: `windows` false gives one row (slow-tokenizer truncation).
  std::vector<Encoding> encode_rows(std::string_view a_text, const std::string_view* b_text, const EncodeOptions& options,
                                    bool windows) const {
    const std::int64_t max_length = options.max_length > 0 ? options.max_length : model_max_length_;
    const bool limited = max_length > 0;
    const std::int64_t specials = b_text ? 3 : 2;
    if (limited && options.truncation != Truncation::do_not_truncate)
      check_max_length(max_length, specials, b_text ? "Tokenizer::encode_pair" : "Tokenizer::encode");
    const Tokens a = checked_tokens(a_text, b_text ? "Tokenizer::encode_pair: first text" : "Tokenizer::encode: text");
    const Tokens b = b_text ? checked_tokens(*b_text, "Tokenizer::encode_pair: second text") : Tokens{};
    const std::size_t pad_to = limited && options.pad ? static_cast<std::size_t>(max_length) : 0;
    if (!limited || options.truncation == Truncation::do_not_truncate)
      return {assemble(a, b_text ? &b : nullptr, pad_to, a_text, b_text)};
    const std::size_t room = static_cast<std::size_t>(max_length - specials);
    const std::size_t excess = a.size() + b.size() > room ? a.size() + b.size() - room : 0;
    if (!b_text && options.truncation == Truncation::only_second)
      throw std::invalid_argument("Tokenizer: truncation only_second needs a pair of texts");
    auto too_short = [&](const char* which, std::size_t have) {
      return std::invalid_argument(std::string("Tokenizer: truncation ") +
                                   (options.truncation == Truncation::only_first ? "only_first" : "only_second") +
                                   ": the " + which + " text has " + std::to_string(have) + " tokens; " +
                                   std::to_string(excess) + " must go to fit max_length " + std::to_string(max_length));
    };
    const bool cut_first = options.truncation == Truncation::only_first ||
                           (!b_text && options.truncation == Truncation::longest_first);
    if (!windows) {
      Tokens ka = a, kb = b;
      if (cut_first) {
        if (b_text && excess > ka.size()) throw too_short("first", ka.size());
        ka.resize(ka.size() - std::min(excess, ka.size()));
      } else if (options.truncation == Truncation::only_second) {
        if (excess > kb.size()) throw too_short("second", kb.size());
        kb.resize(kb.size() - excess);
      } else {  // longest_first, pair: one token at a time from the longer text, the second on ties
        for (std::size_t n = 0; n < excess; ++n) (ka.size() > kb.size() ? ka : kb).pop_back();
      }
      return {assemble(ka, b_text ? &kb : nullptr, pad_to, a_text, b_text)};
    }
    // Windows (transformers' fast tokenizers): how many tokens each text keeps per row.
    std::size_t keep_a = a.size(), keep_b = b.size();
    if (excess > 0) {
      if (cut_first) {
        if (b_text && excess >= a.size()) throw too_short("first", a.size());
        keep_a = a.size() - excess;
      } else if (options.truncation == Truncation::only_second) {
        if (excess >= b.size()) throw too_short("second", b.size());
        keep_b = b.size() - excess;
      } else {  // longest_first, pair: the shorter keeps what it can up to half, the longer the rest
        const bool a_shorter = a.size() <= b.size();
        std::size_t n1 = std::min(a.size(), b.size()), n2 = std::max(a.size(), b.size());
        n2 = n1 > room ? n1 : std::max(n1, room - n1);
        if (n1 + n2 > room) n1 = room / 2, n2 = n1 + room % 2;
        keep_a = std::min(a.size(), a_shorter ? n1 : n2);
        keep_b = std::min(b.size(), a_shorter ? n2 : n1);
      }
    }
    const auto a_windows = split_windows(a, keep_a, options.stride);
    const auto b_windows = b_text ? split_windows(b, keep_b, options.stride) : std::vector<Tokens>{Tokens{}};
    std::vector<Encoding> rows;
    auto add = [&](const Tokens& x, const Tokens& y) { rows.push_back(assemble(x, b_text ? &y : nullptr, pad_to, a_text, b_text)); };
    add(a_windows.front(), b_windows.front());
    for (std::size_t i = 1; i < a_windows.size(); ++i) {
      add(a_windows[i], b_windows.front());
      for (std::size_t j = 1; j < b_windows.size(); ++j) add(a_windows[i], b_windows[j]);
    }
    for (std::size_t j = 1; j < b_windows.size(); ++j) add(a_windows.front(), b_windows[j]);
    return rows;
  }

  // Windows of `keep` tokens advancing by keep − stride until one reaches the end (all of t if it fits).
  static std::vector<Tokens> split_windows(const Tokens& t, std::size_t keep, std::int64_t stride) {
    if (keep >= t.size()) return {t};
    if (stride < 0 || static_cast<std::size_t>(stride) >= keep)
      throw std::invalid_argument("Tokenizer: stride " + std::to_string(stride) + " must be below the " +
                                  std::to_string(keep) + " tokens a window holds");
    std::vector<Tokens> out;
    const std::size_t step = keep - static_cast<std::size_t>(stride);
    for (std::size_t start = 0;; start += step) {
      const std::size_t stop = std::min(t.size(), start + keep);
      out.emplace_back(t.begin() + std::ptrdiff_t(start), t.begin() + std::ptrdiff_t(stop));
      if (stop == t.size()) break;
    }
    return out;
  }

  Encoding assemble(const Tokens& a, const Tokens* b, std::size_t pad_to, std::string_view a_text,
                    const std::string_view* b_text) const {
    Encoding e;
    auto special = [&](std::int32_t id, std::int32_t type) {
      e.input_ids.push_back(id), e.token_type_ids.push_back(type), e.sequence_ids.push_back(-1);
      e.offsets.emplace_back(0, 0), e.char_offsets.emplace_back(0, 0);
    };
    auto text = [&](const Tokens& tokens, std::int32_t type, std::string_view source) {
      const std::vector<std::size_t> chars = detail::utf8_offsets(source);  // byte offset of each code point
      auto char_index = [&](std::uint32_t byte) {
        return static_cast<std::int64_t>(std::lower_bound(chars.begin(), chars.end(), byte) - chars.begin());
      };
      for (const Token& t : tokens) {
        e.input_ids.push_back(t.id), e.token_type_ids.push_back(type), e.sequence_ids.push_back(type);
        e.offsets.emplace_back(t.begin, t.end);
        e.char_offsets.emplace_back(char_index(t.begin), char_index(t.end));
      }
    };
    special(cls_.id, 0);
    text(a, 0, a_text);
    special(sep_.id, 0);
    if (b) {
      text(*b, 1, *b_text);
      special(sep_.id, 1);
    }
    while (e.input_ids.size() < pad_to) special(pad_.id, 0);
    return e;
  }

  static BatchEncoding make_batch(std::size_t rows, std::int64_t max_length) {
    BatchEncoding out;
    out.input_ids.resize(static_cast<Index>(rows), static_cast<Index>(max_length));
    out.token_type_ids.resize(static_cast<Index>(rows), static_cast<Index>(max_length));
    return out;
  }

  static void store_row(BatchEncoding& out, std::size_t r, const Encoding& e) {
    for (std::size_t c = 0; c < e.input_ids.size(); ++c) {
      out.input_ids(static_cast<Index>(r), static_cast<Index>(c)) = e.input_ids[c];
      out.token_type_ids(static_cast<Index>(r), static_cast<Index>(c)) = e.token_type_ids[c];
    }
  }

  // Shared, never modified after loading: copies of a Tokenizer are cheap and stay thread-safe.
  std::shared_ptr<sentencepiece::SentencePieceProcessor> sp_ =
      std::make_shared<sentencepiece::SentencePieceProcessor>();
  // Defaults of the FNet checkpoints (see the header comment for keep_accents).
  bool do_lower_case_ = false;
  bool remove_space_ = true;
  bool keep_accents_ = true;
  std::int64_t model_max_length_ = 0;
  Special unk_{"<unk>"}, sep_{"[SEP]"}, pad_{"<pad>"}, cls_{"[CLS]"}, mask_{"[MASK]", true, false};
};

}  // namespace fnet
