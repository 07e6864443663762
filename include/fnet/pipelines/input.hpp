// Pipeline inputs from text streams: a bounded line reader, and each pipeline's input from a plain line
// or from a JSON object with transformers' argument names. Every malformed input is a
// std::invalid_argument naming the field and what was expected, so a stream can report it for that line
// and go on (fnet-pipeline).
//
//   task                      JSON fields                                      plain line
//   text-classification       text, text_pair (optional)                       text[TAB text_pair]
//   token-classification      text (or inputs)                                 text
//   question-answering        question, context                                question TAB context
//   fill-mask                 text (or inputs)                                 text
//   feature-extraction        text (or inputs)                                 text
//   zero-shot-classification  sequences, candidate_labels (optional; list or   sequence
//                             comma-separated string)
//   multiple-choice           question (or context), choices (list)            question TAB choice TAB choice ...
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fnet/pipelines/feature_extraction.hpp"
#include "fnet/pipelines/fill_mask.hpp"
#include "fnet/pipelines/multiple_choice.hpp"
#include "fnet/pipelines/question_answering.hpp"
#include "fnet/pipelines/text_classification.hpp"
#include "fnet/pipelines/token_classification.hpp"
#include "fnet/pipelines/zero_shot_classification.hpp"

namespace fnet {

// Reads lines of at most `max_bytes` bytes (the newline and a trailing '\r' not counted) from a FILE,
// in constant memory: a longer line is consumed but not kept, and reported as too long.
class LineReader {
 public:
  LineReader(std::FILE* in, std::size_t max_bytes) : in_(in), max_bytes_(max_bytes) {}

  // False at the end of input. Otherwise `line` holds the line (empty when too_long), too_long whether it
  // exceeded max_bytes and `bytes` its full length.
  bool next(std::string& line, bool& too_long, std::size_t& bytes) {
    line.clear();
    too_long = false;
    bytes = 0;
    int c = std::getc(in_);
    if (c == EOF) return false;
    for (; c != EOF && c != '\n'; c = std::getc(in_)) {
      ++bytes;
      if (bytes > max_bytes_ + 1) continue;  // one byte over, to tell a final '\r' from a long line
      line.push_back(static_cast<char>(c));
    }
    if (!line.empty() && line.back() == '\r' && bytes <= max_bytes_ + 1) line.pop_back(), --bytes;
    if (bytes > max_bytes_) {
      too_long = true;
      line.clear();
      line.shrink_to_fit();
    }
    return true;
  }

 private:
  std::FILE* in_;
  std::size_t max_bytes_;
};

namespace detail {

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t b = 0;
  for (std::size_t e; (e = s.find(sep, b)) != std::string::npos; b = e + 1) parts.push_back(s.substr(b, e - b));
  parts.push_back(s.substr(b));
  return parts;
}

inline std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

inline const nlohmann::json& json_object(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument(std::string("expected a JSON object; got ") + j.type_name());
  return j;
}

inline std::string json_string(const nlohmann::json& j, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto it = j.find(name);
    if (it == j.end()) continue;
    if (!it->is_string()) throw std::invalid_argument(std::string("field '") + name + "' must be a string; got " + it->type_name());
    return it->get<std::string>();
  }
  std::string list;
  for (const char* name : names) list += std::string(list.empty() ? "'" : " or '") + name + "'";
  throw std::invalid_argument("missing field " + list);
}

inline std::vector<std::string> json_strings(const nlohmann::json& j, const char* name, bool comma_string) {
  const auto it = j.find(name);
  if (it == j.end()) return {};
  std::vector<std::string> out;
  if (it->is_string() && comma_string) {
    for (const std::string& part : split(it->get<std::string>(), ','))
      if (!trim(part).empty()) out.push_back(trim(part));
    return out;
  }
  if (!it->is_array()) throw std::invalid_argument(std::string("field '") + name + "' must be a list of strings; got " + it->type_name());
  for (const auto& v : *it) {
    if (!v.is_string()) throw std::invalid_argument(std::string("field '") + name + "' must hold strings only; found " + v.type_name());
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace detail

// ---- from JSON objects --------------------------------------------------------------------------------

inline void from_json(const nlohmann::json& j, TextClassificationInput& in) {
  detail::json_object(j);
  in.text = detail::json_string(j, {"text"});
  in.text_pair.reset();
  if (j.contains("text_pair")) in.text_pair = detail::json_string(j, {"text_pair"});
}
inline void from_json(const nlohmann::json& j, TokenClassificationInput& in) { in.text = detail::json_string(detail::json_object(j), {"text", "inputs"}); }
inline void from_json(const nlohmann::json& j, FillMaskInput& in) { in.text = detail::json_string(detail::json_object(j), {"text", "inputs"}); }
inline void from_json(const nlohmann::json& j, FeatureExtractionInput& in) { in.text = detail::json_string(detail::json_object(j), {"text", "inputs"}); }
inline void from_json(const nlohmann::json& j, QuestionAnsweringInput& in) {
  detail::json_object(j);
  in.question = detail::json_string(j, {"question"});
  in.context = detail::json_string(j, {"context"});
}
inline void from_json(const nlohmann::json& j, ZeroShotInput& in) {
  detail::json_object(j);
  in.sequence = detail::json_string(j, {"sequences", "text"});
  in.candidate_labels = detail::json_strings(j, "candidate_labels", true);
}
inline void from_json(const nlohmann::json& j, MultipleChoiceInput& in) {
  detail::json_object(j);
  in.question = detail::json_string(j, {"question", "context"});
  in.choices = detail::json_strings(j, "choices", false);
  if (!j.contains("choices")) throw std::invalid_argument("missing field 'choices'");
}

// ---- from plain lines ---------------------------------------------------------------------------------

inline TextClassificationInput input_from_line(const std::string& line, const TextClassificationInput*) {
  const std::size_t tab = line.find('\t');
  if (tab == std::string::npos) return {line, std::nullopt};
  return {line.substr(0, tab), line.substr(tab + 1)};
}
inline TokenClassificationInput input_from_line(const std::string& line, const TokenClassificationInput*) { return {line}; }
inline FillMaskInput input_from_line(const std::string& line, const FillMaskInput*) { return {line}; }
inline FeatureExtractionInput input_from_line(const std::string& line, const FeatureExtractionInput*) { return {line}; }
inline ZeroShotInput input_from_line(const std::string& line, const ZeroShotInput*) { return {line, {}}; }
inline QuestionAnsweringInput input_from_line(const std::string& line, const QuestionAnsweringInput*) {
  const std::size_t tab = line.find('\t');
  if (tab == std::string::npos) throw std::invalid_argument("expected question<TAB>context");
  return {line.substr(0, tab), line.substr(tab + 1)};
}
inline MultipleChoiceInput input_from_line(const std::string& line, const MultipleChoiceInput*) {
  std::vector<std::string> parts = detail::split(line, '\t');
  if (parts.size() < 2) throw std::invalid_argument("expected question<TAB>choice<TAB>choice...");
  MultipleChoiceInput in{parts.front(), {}};
  in.choices.assign(parts.begin() + 1, parts.end());
  return in;
}

// The input of type Input in a line: a JSON object when `json`, else the plain form above.
template <class Input>
Input parse_input(const std::string& line, bool json) {
  if (!json) return input_from_line(line, static_cast<const Input*>(nullptr));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("malformed JSON: ") + e.what());
  }
  return j.get<Input>();
}

}  // namespace fnet
