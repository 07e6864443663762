// AlignedText: text that has gone through the tokenizer's normalisation steps and still knows, for each of
// its bytes, which bytes of the caller's original text it came from, so that every token can be given its
// [begin, end) span in the original (Tokenizer offsets). Each step below is one of FNetTokenizer's, with
// Python's semantics:
//
//   collapse_whitespace   " ".join(s.split())           a collapsed run maps to the whole run
//   replace_quotes        s.replace("``", '"').replace("''", '"')   the '"' maps to both characters
//   strip_accents         NFKD, then drop unicodedata.combining(c) != 0 characters (ICU: NFKD, ccc)
//   lower                 str.lower(): full case mapping (İ → i̇) and Final_Sigma (ICU)
//
// A character produced from a source character maps to that character's whole span.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "fnet/detail/text.hpp"
#include "fnet/error.hpp"

namespace fnet::detail {

struct AlignedText {
  std::string text;
  std::vector<std::uint32_t> begin, end;  // per byte of text: its source span in the original

  // `s` itself, its bytes mapping to [base + i, base + i + 1) character by character.
  static AlignedText identity(std::string_view s, std::size_t base = 0) {
    AlignedText a;
    std::size_t i = 0;
    char32_t cp = 0;
    while (i < s.size()) {
      const std::size_t start = i;
      utf8_next(s, i, cp);
      a.append(s.substr(start, i - start), std::uint32_t(base + start), std::uint32_t(base + i));
    }
    return a;
  }

  // Bytes [b, e) (character boundaries).
  AlignedText slice(std::size_t b, std::size_t e) const {
    AlignedText a;
    a.text = text.substr(b, e - b);
    a.begin.assign(begin.begin() + std::ptrdiff_t(b), begin.begin() + std::ptrdiff_t(e));
    a.end.assign(end.begin() + std::ptrdiff_t(b), end.begin() + std::ptrdiff_t(e));
    return a;
  }

  void append(std::string_view utf8, std::uint32_t source_begin, std::uint32_t source_end) {
    text.append(utf8);
    begin.insert(begin.end(), utf8.size(), source_begin);
    end.insert(end.end(), utf8.size(), source_end);
  }

  // Calls f(code point, byte offset, byte length) for every character.
  template <class F>
  void for_each_char(F&& f) const {
    std::size_t i = 0;
    char32_t cp = 0;
    while (i < text.size()) {
      const std::size_t start = i;
      utf8_next(text, i, cp);
      f(cp, start, i - start);
    }
  }
};

// Python's " ".join(s.split()).
inline AlignedText collapse_whitespace(const AlignedText& in) {
  AlignedText out;
  bool in_run = false;
  std::uint32_t run_begin = 0, run_end = 0;
  in.for_each_char([&](char32_t cp, std::size_t at, std::size_t length) {
    if (is_python_space(cp)) {
      if (!in_run) run_begin = in.begin[at];
      run_end = in.end[at];
      in_run = true;
      return;
    }
    if (in_run && !out.text.empty()) out.append(" ", run_begin, run_end);
    in_run = false;
    out.append(std::string_view(in.text).substr(at, length), in.begin[at], in.end[at]);
  });
  return out;
}

// s.replace("``", '"').replace("''", '"'): two passes, each left to right and non-overlapping, as Python.
inline AlignedText replace_quotes(const AlignedText& in) {
  auto replace = [](const AlignedText& s, std::string_view from) {
    AlignedText out;
    std::size_t i = 0;
    while (i < s.text.size()) {
      if (s.text.compare(i, from.size(), from) == 0) {
        out.append("\"", s.begin[i], s.end[i + from.size() - 1]);
        i += from.size();
      } else {
        out.append(std::string_view(s.text).substr(i, 1), s.begin[i], s.end[i]);
        ++i;
      }
    }
    return out;
  };
  return replace(replace(in, "``"), "''");
}

// One code point as UTF-16, for the ICU C API.
inline int to_utf16(char32_t cp, UChar (&out)[2]) {
  if (cp < 0x10000) {
    out[0] = UChar(cp);
    return 1;
  }
  out[0] = UChar(0xD7C0 + (cp >> 10));
  out[1] = UChar(0xDC00 | (cp & 0x3FF));
  return 2;
}

inline void append_utf16(AlignedText& out, const UChar* s, int length, std::uint32_t b, std::uint32_t e) {
  std::string utf8;
  for (int i = 0; i < length;) {
    UChar32 c;
    U16_NEXT(s, i, length, c);
    utf8.clear();
    utf8_append(utf8, char32_t(c));
    out.append(utf8, b, e);
  }
}

// NFKD, then the characters with a non-zero canonical combining class dropped (Python:
// unicodedata.normalize("NFKD", s) then not unicodedata.combining(c)). Character by character: NFKD of a
// string only reorders combining marks, which are all dropped, so the result is the same.
inline AlignedText strip_accents(const AlignedText& in) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfkd = unorm2_getNFKDInstance(&status);
  if (U_FAILURE(status)) throw error(std::string("tokenizer: ICU NFKD is unavailable: ") + u_errorName(status));
  AlignedText out;
  in.for_each_char([&](char32_t cp, std::size_t at, std::size_t) {
    UChar src[2], dst[32];
    const int n = to_utf16(cp, src);
    status = U_ZERO_ERROR;
    const int m = unorm2_normalize(nfkd, src, n, dst, 32, &status);
    if (U_FAILURE(status)) throw error(std::string("tokenizer: ICU NFKD failed: ") + u_errorName(status));
    UChar kept[32];
    int k = 0;
    for (int i = 0; i < m;) {
      UChar32 c;
      U16_NEXT(dst, i, m, c);
      if (u_getCombiningClass(c) == 0) U16_APPEND_UNSAFE(kept, k, c);
    }
    append_utf16(out, kept, k, in.begin[at], in.end[at]);
  });
  return out;
}

// Python's str.lower(): each character's full lowercase mapping (ICU, root locale: U+0130 İ → i + U+0307),
// except that capital sigma becomes final sigma ς when it ends a word by Unicode's Final_Sigma rule
// (preceded by a cased letter, case-ignorable characters skipped, and not followed by one).
inline AlignedText lower(const AlignedText& in) {
  std::vector<char32_t> chars;
  std::vector<std::size_t> at;
  in.for_each_char([&](char32_t cp, std::size_t offset, std::size_t) {
    chars.push_back(cp);
    at.push_back(offset);
  });
  auto is_cased = [](char32_t c) { return u_hasBinaryProperty(UChar32(c), UCHAR_CASED) != 0; };
  auto is_ignorable = [](char32_t c) { return u_hasBinaryProperty(UChar32(c), UCHAR_CASE_IGNORABLE) != 0; };
  AlignedText out;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const std::uint32_t b = in.begin[at[i]], e = in.end[at[i]];
    if (chars[i] == 0x03A3) {
      std::size_t j = i;
      while (j > 0 && is_ignorable(chars[j - 1])) --j;
      bool final_sigma = j > 0 && is_cased(chars[j - 1]);
      if (final_sigma) {
        std::size_t k = i + 1;
        while (k < chars.size() && is_ignorable(chars[k])) ++k;
        final_sigma = k == chars.size() || !is_cased(chars[k]);
      }
      out.append(final_sigma ? "\u03C2" : "\u03C3", b, e);
      continue;
    }
    UChar src[2], dst[8];
    const int n = to_utf16(chars[i], src);
    UErrorCode status = U_ZERO_ERROR;
    const int m = u_strToLower(dst, 8, src, n, "", &status);
    if (U_FAILURE(status)) throw error(std::string("tokenizer: ICU lowercasing failed: ") + u_errorName(status));
    append_utf16(out, dst, m, b, e);
  }
  return out;
}

}  // namespace fnet::detail
