// UTF-8 and the few Unicode character classes the tokenizer needs to behave like Python's str methods.
//
// Hugging Face's tokenizer runs on Python str, so "whitespace" means str.isspace() and "digit" means
// str.isdigit(), both Unicode-aware. The tables below were generated from CPython 3.11 (Unicode 14.0);
// a Python built on a newer Unicode may classify a handful of newly assigned code points differently.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fnet::detail {

// Decodes one UTF-8 sequence starting at s[i]; on success stores the code point, advances i and returns
// true. Rejects what Python's strict UTF-8 decoder rejects: stray continuation bytes, truncated sequences,
// overlong forms, UTF-16 surrogates (U+D800..U+DFFF) and values above U+10FFFF.
inline bool utf8_next(std::string_view s, std::size_t& i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + len > s.size()) return false;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

// Throws std::invalid_argument naming `what` and the byte offset of the first invalid sequence. Text that
// cannot be a Python str has no Hugging Face tokenization to match, so it is refused rather than guessed.
inline void validate_utf8(std::string_view s, const char* what) {
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < s.size()) {
    const std::size_t at = i;
    if (!utf8_next(s, i, cp)) {
      char hex[8];
      static const char digits[] = "0123456789ABCDEF";
      const unsigned char b = static_cast<unsigned char>(s[at]);
      hex[0] = '0', hex[1] = 'x', hex[2] = digits[b >> 4], hex[3] = digits[b & 15], hex[4] = '\0';
      throw std::invalid_argument(std::string(what) + ": invalid UTF-8 at byte " + std::to_string(at) +
                                  " (byte " + hex + "); expected well-formed UTF-8 text");
    }
  }
}

// Decodes text already known to be valid UTF-8.
inline std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < s.size()) {
    if (!utf8_next(s, i, cp)) throw std::invalid_argument("utf8_decode: invalid UTF-8");
    out.push_back(cp);
  }
  return out;
}

inline void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

inline std::string utf8_encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) utf8_append(out, cp);
  return out;
}

// Python's str.isspace(): the Unicode White_Space characters (Zs, line/paragraph separators, ASCII
// controls) plus the information separators U+001C..U+001F, which Python counts because of their
// bidirectional class. Not included, as in Python: U+200B ZERO WIDTH SPACE, U+FEFF, U+180E.
inline bool is_python_space(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Python's str.isdigit(): Unicode Numeric_Type Decimal or Digit, which besides the decimal digits of every
// script includes superscripts, subscripts and circled/parenthesised digits (inclusive ranges, sorted).
inline bool is_python_digit(char32_t c) {
  struct Range {
    char32_t first, last;
  };
  static constexpr Range ranges[] = {
    {0x30, 0x39}, {0xB2, 0xB3}, {0xB9, 0xB9}, {0x660, 0x669}, {0x6F0, 0x6F9}, {0x7C0, 0x7C9}, {0x966, 0x96F},
    {0x9E6, 0x9EF}, {0xA66, 0xA6F}, {0xAE6, 0xAEF}, {0xB66, 0xB6F}, {0xBE6, 0xBEF}, {0xC66, 0xC6F},
    {0xCE6, 0xCEF}, {0xD66, 0xD6F}, {0xDE6, 0xDEF}, {0xE50, 0xE59}, {0xED0, 0xED9}, {0xF20, 0xF29},
    {0x1040, 0x1049}, {0x1090, 0x1099}, {0x1369, 0x1371}, {0x17E0, 0x17E9}, {0x1810, 0x1819},
    {0x1946, 0x194F}, {0x19D0, 0x19DA}, {0x1A80, 0x1A89}, {0x1A90, 0x1A99}, {0x1B50, 0x1B59},
    {0x1BB0, 0x1BB9}, {0x1C40, 0x1C49}, {0x1C50, 0x1C59}, {0x2070, 0x2070}, {0x2074, 0x2079},
    {0x2080, 0x2089}, {0x2460, 0x2468}, {0x2474, 0x247C}, {0x2488, 0x2490}, {0x24EA, 0x24EA},
    {0x24F5, 0x24FD}, {0x24FF, 0x24FF}, {0x2776, 0x277E}, {0x2780, 0x2788}, {0x278A, 0x2792},
    {0xA620, 0xA629}, {0xA8D0, 0xA8D9}, {0xA900, 0xA909}, {0xA9D0, 0xA9D9}, {0xA9F0, 0xA9F9},
    {0xAA50, 0xAA59}, {0xABF0, 0xABF9}, {0xFF10, 0xFF19}, {0x104A0, 0x104A9}, {0x10A40, 0x10A43},
    {0x10D30, 0x10D39}, {0x10E60, 0x10E68}, {0x11052, 0x1105A}, {0x11066, 0x1106F}, {0x110F0, 0x110F9},
    {0x11136, 0x1113F}, {0x111D0, 0x111D9}, {0x112F0, 0x112F9}, {0x11450, 0x11459}, {0x114D0, 0x114D9},
    {0x11650, 0x11659}, {0x116C0, 0x116C9}, {0x11730, 0x11739}, {0x118E0, 0x118E9}, {0x11950, 0x11959},
    {0x11C50, 0x11C59}, {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9}, {0x16A60, 0x16A69}, {0x16AC0, 0x16AC9},
    {0x16B50, 0x16B59}, {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9}, {0x1E950, 0x1E959},
    {0x1F100, 0x1F10A}, {0x1FBF0, 0x1FBF9},
  };
  if (c < 0x80) return c >= '0' && c <= '9';
  const auto* it = std::upper_bound(std::begin(ranges), std::end(ranges), c,
                                    [](char32_t v, const Range& r) { return v < r.first; });
  return it != std::begin(ranges) && c <= (it - 1)->last;
}

// Python's s.lstrip() / s.rstrip() (no argument) on UTF-8 text.
inline std::string_view python_lstrip(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t next = i;
    char32_t cp = 0;
    if (!utf8_next(s, next, cp) || !is_python_space(cp)) break;
    i = next;
  }
  return s.substr(i);
}

inline std::string_view python_rstrip(std::string_view s) {
  // Walk forward (UTF-8 cannot be decoded backwards without care) remembering where the last
  // non-space character ended.
  std::size_t i = 0, keep = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    if (!utf8_next(s, i, cp)) return s;  // not reached: callers validate first
    if (!is_python_space(cp)) keep = i;
  }
  return s.substr(0, keep);
}

// Python's " ".join(s.split()): strips both ends and turns every whitespace run into one ASCII space.
inline std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t start = i;
    char32_t cp = 0;
    if (!utf8_next(s, i, cp)) throw std::invalid_argument("collapse_whitespace: invalid UTF-8");
    if (is_python_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.append(s.substr(start, i - start));
  }
  return out;
}

// Python's s.replace(from, to): left to right, non-overlapping.
inline std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

// Byte offsets of the code points of valid UTF-8 text, plus s.size() at the end, so that the k-th
// character from the end can be found the way Python indexes piece[-k].
inline std::vector<std::size_t> utf8_offsets(std::string_view s) {
  std::vector<std::size_t> offsets;
  offsets.reserve(s.size() + 1);
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < s.size()) {
    offsets.push_back(i);
    if (!utf8_next(s, i, cp)) throw std::invalid_argument("utf8_offsets: invalid UTF-8");
  }
  offsets.push_back(s.size());
  return offsets;
}

}  // namespace fnet::detail
