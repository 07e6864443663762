// fnet::Tokenizer: text -> FNet input ids, identical to Hugging Face's slow FNetTokenizer.
//
// A model directory holds `spiece.model` (SentencePiece) and optionally `tokenizer_config.json`. Tokenizing a
// text follows transformers' FNetTokenizer (adapted from ALBERT's) and PreTrainedTokenizer.tokenize:
//
//  1. The special-token strings (unk, sep, pad, cls, mask) are split out of the text, leftmost then longest
//     match, and map straight to their ids: "a [SEP] b" contains a real separator. Whitespace next to one is
//     stripped as its AddedToken flags say (plain strings: both sides; the mask token: left only).
//  2. Each piece of text in between is preprocessed: with remove_space, stripped and every whitespace run
//     collapsed to one space (Python's str.split(): Unicode whitespace such as NBSP and U+3000 counts);
//     then "``" and "''" become '"'.
//  3. SentencePiece encodes it; then the digit-comma rule: a piece ending in a digit followed by ',' is
//     re-encoded without the comma (and without '▁' markers it did not start with), the ',' appended as a
//     piece of its own, so "1,000," tokenizes like the number and a separate comma.
//  4. Pieces map to ids with PieceToId (unknown pieces -> <unk>) and become [CLS] A [SEP] (token types 0)
//     or [CLS] A [SEP] B [SEP] (B and its [SEP] typed 1), truncated to max_length ('longest_first' for
//     pairs: the longer segment loses its last token, the second on ties) and right-padded with <pad>
//     (type 0) to exactly max_length. FNet has no attention mask, so padding is part of the input: see
//     docs/tokenizer.md.
//
// Not implemented (the load throws fnet::format_error naming the option instead of tokenizing wrongly):
// keep_accents=false (needs Unicode NFKD and combining-class tables) and do_lower_case=true (needs Python's
// full Unicode str.lower()). Defaults when tokenizer_config.json is absent or silent: keep_accents true (the
// value google/fnet-base and -large ship with; the HF class default is false), do_lower_case false,
// remove_space true. Other deliberate differences from Hugging Face, shared with the Python reference
// tests/reference/fnet_tokenizer.py:
//  * a single text is always truncated to fit (at worst to [CLS] [SEP]); HF leaves it too long when
//    max_length cannot hold the special tokens. Pairs need max_length >= 3.
//  * every special token must be in the SentencePiece vocabulary; additional_special_tokens,
//    added_tokens.json and tokenizer.json are ignored;
//  * a model_max_length above 2^31-1 (HF writes 1e30 for "unlimited") counts as absent;
//  * input that is not valid UTF-8 throws std::invalid_argument (Python cannot even hold it in a str).
// Character classes follow CPython 3.11's Unicode 14.0 tables (detail/text.hpp).
//
// Thread safety: a loaded Tokenizer is immutable; its const methods may run concurrently. Copies share the
// SentencePiece model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>

#include "fnet/detail/json_util.hpp"
#include "fnet/detail/text.hpp"
#include "fnet/error.hpp"
#include "fnet/tensor.hpp"

namespace fnet {

// One encoded sequence (or pair): ids and token types of equal length.
struct Encoding {
  std::vector<std::int32_t> input_ids;
  std::vector<std::int32_t> token_type_ids;
};

// A batch, every row padded to the same max_length: both tensors are (batch, max_length).
struct BatchEncoding {
  TokenIds input_ids;
  TokenIds token_type_ids;
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
    auto a = ids_of(text, "Tokenizer::encode: text");
    if (static_cast<std::int64_t>(a.size()) > max_length - 2) a.resize(static_cast<std::size_t>(max_length - 2));
    return assemble(a, nullptr, pad ? max_length : 0);
  }

  // As encode(text, max_length) with max_length = model_max_length(); without one, nothing is truncated
  // or padded.
  Encoding encode(std::string_view text) const {
    if (model_max_length_ > 0) return encode(text, model_max_length_);
    return assemble(ids_of(text, "Tokenizer::encode: text"), nullptr, 0);
  }

  // [CLS] a [SEP] b [SEP], 'longest_first' truncation to max_length, padded when pad.
  // Throws std::invalid_argument for max_length < 3 or text that is not valid UTF-8.
  Encoding encode_pair(std::string_view a, std::string_view b, std::int64_t max_length, bool pad = true) const {
    check_max_length(max_length, 3, "Tokenizer::encode_pair");
    auto ia = ids_of(a, "Tokenizer::encode_pair: first text");
    auto ib = ids_of(b, "Tokenizer::encode_pair: second text");
    const std::size_t budget = static_cast<std::size_t>(max_length - 3);
    // Hugging Face's 'longest_first': one token at a time from the end of the longer segment, the second
    // segment on ties.
    while (ia.size() + ib.size() > budget) {
      if (ia.size() > ib.size()) ia.pop_back(); else ib.pop_back();
    }
    return assemble(ia, &ib, pad ? max_length : 0);
  }

  Encoding encode_pair(std::string_view a, std::string_view b) const {
    if (model_max_length_ > 0) return encode_pair(a, b, model_max_length_);
    auto ib = ids_of(b, "Tokenizer::encode_pair: second text");
    return assemble(ids_of(a, "Tokenizer::encode_pair: first text"), &ib, 0);
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

  static constexpr std::string_view kUnderline = "\xE2\x96\x81";  // U+2581, SentencePiece's word marker

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
    if (!keep_accents_)
      throw format_error("tokenizer: " + where +
                         ": keep_accents=false (NFKD accent stripping) is not supported; expected true or absent");
    if (do_lower_case_)
      throw format_error("tokenizer: " + where +
                         ": do_lower_case=true (Unicode lowercasing) is not supported; expected false or absent");

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

  std::vector<std::int32_t> ids_of(std::string_view text, const char* what) const {
    detail::validate_utf8(text, what);
    return convert_tokens_to_ids(tokenize_valid(text));
  }

  Encoding assemble(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>* b,
                    std::int64_t pad_to) const {
    Encoding e;
    const std::size_t n = 2 + a.size() + (b ? b->size() + 1 : 0);
    const std::size_t total = pad_to > 0 ? static_cast<std::size_t>(pad_to) : n;
    e.input_ids.reserve(total);
    e.token_type_ids.reserve(total);
    e.input_ids.push_back(cls_.id);
    e.input_ids.insert(e.input_ids.end(), a.begin(), a.end());
    e.input_ids.push_back(sep_.id);
    e.token_type_ids.assign(e.input_ids.size(), 0);
    if (b) {
      e.input_ids.insert(e.input_ids.end(), b->begin(), b->end());
      e.input_ids.push_back(sep_.id);
      e.token_type_ids.resize(e.input_ids.size(), 1);
    }
    if (e.input_ids.size() < total) {
      e.input_ids.resize(total, pad_.id);
      e.token_type_ids.resize(total, 0);
    }
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

  // tokenize() on text already checked to be valid UTF-8.
  std::vector<std::string> tokenize_valid(std::string_view text) const {
    // Split into alternating plain chunks and special tokens (leftmost occurrence, longest on ties).
    struct Part {
      std::string_view text;
      const Special* special;
    };
    const Special* specials[] = {&unk_, &sep_, &pad_, &cls_, &mask_};
    std::vector<Part> parts;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t best = std::string_view::npos;
      const Special* hit = nullptr;
      for (const Special* s : specials) {
        const std::size_t p = text.find(s->content, start);
        if (p == std::string_view::npos) continue;
        if (p < best || (p == best && s->content.size() > hit->content.size())) best = p, hit = s;
      }
      if (!hit) break;
      if (best > start) parts.push_back({text.substr(start, best - start), nullptr});
      parts.push_back({text.substr(best, hit->content.size()), hit});
      start = best + hit->content.size();
    }
    if (start < text.size()) parts.push_back({text.substr(start), nullptr});

    // Special tokens swallow the whitespace next to them, as their strip flags say.
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const Special* s = parts[k].special;
      if (!s) continue;
      if (s->rstrip && k + 1 < parts.size() && !parts[k + 1].special)
        parts[k + 1].text = detail::python_lstrip(parts[k + 1].text);
      if (s->lstrip && k > 0 && !parts[k - 1].special) parts[k - 1].text = detail::python_rstrip(parts[k - 1].text);
    }

    std::vector<std::string> pieces;
    for (const Part& part : parts) {
      if (part.text.empty()) continue;
      if (part.special) {
        pieces.emplace_back(part.special->content);
      } else {
        tokenize_chunk(part.text, pieces);
      }
    }
    return pieces;
  }

  std::string preprocess(std::string_view text) const {
    std::string out = remove_space_ ? detail::collapse_whitespace(text) : std::string(text);
    out = detail::replace_all(out, "``", "\"");
    return detail::replace_all(out, "''", "\"");
  }

  std::vector<std::string> sp_encode(std::string_view text) const {
    std::vector<std::string> pieces;
    const auto status = sp_->Encode(text, &pieces);
    if (!status.ok()) throw error("tokenizer: SentencePiece encoding failed: " + status.ToString());
    return pieces;
  }

  static bool starts_with_underline(std::string_view s) { return s.substr(0, kUnderline.size()) == kUnderline; }

  void tokenize_chunk(std::string_view text, std::vector<std::string>& out) const {
    for (std::string& piece : sp_encode(preprocess(text))) {
      // The digit-comma rule: a piece of two or more characters whose last is ',' and whose
      // second-to-last is a digit (Python str.isdigit()).
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
      if (!split) {
        out.push_back(std::move(piece));
        continue;
      }
      const std::string_view body(piece.data(), piece.size() - 1);
      std::vector<std::string> sub = sp_encode(detail::replace_all(body, kUnderline, ""));
      if (!starts_with_underline(piece) && !sub.empty() && starts_with_underline(sub.front())) {
        if (sub.front().size() == kUnderline.size())
          sub.erase(sub.begin());
        else
          sub.front().erase(0, kUnderline.size());
      }
      for (auto& s : sub) out.push_back(std::move(s));
      out.emplace_back(",");
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
