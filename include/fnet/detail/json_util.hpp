// Printing parts of untrusted JSON documents in error messages.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace fnet::detail {

// True when `j` nests at most `levels` arrays/objects deep. Recurses at most `levels` times, so it is
// safe on documents of any depth.
inline bool json_nesting_at_most(const nlohmann::json& j, int levels) {
  if (!j.is_structured()) return true;
  if (levels <= 0) return false;
  for (const auto& child : j)
    if (!json_nesting_at_most(child, levels - 1)) return false;
  return true;
}

// A short, printable rendering of `j` for an error message. nlohmann's dump() recurses once per nesting
// level, so a hostile document such as [[[[...]]]] a few hundred thousand levels deep would overflow the
// stack while the error is being reported; deep values are described by kind and size instead. Long
// renderings are cut to about `max_chars` characters (ASCII-escaped, so the cut never splits a character).
inline std::string json_excerpt(const nlohmann::json& j, std::size_t max_chars = 80) {
  if (!json_nesting_at_most(j, 8))
    return std::string("a deeply nested ") + j.type_name() + " of " + std::to_string(j.size()) + " elements";
  std::string s = j.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

}  // namespace fnet::detail
