// FNetConfig: the hyper-parameters of a model, with Hugging Face's defaults and field names.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "fnet/detail/json_util.hpp"
#include "fnet/error.hpp"

namespace fnet {

enum class Activation { gelu_new, gelu, relu };

inline Activation parse_activation(const std::string& name, const std::string& where = "hidden_act") {
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::gelu_new;
  if (name == "gelu") return Activation::gelu;
  if (name == "relu") return Activation::relu;
  throw format_error(where + ": unknown activation '" + name + "'; expected one of gelu_new, gelu, relu");
}

inline const char* to_string(Activation a) {
  switch (a) {
    case Activation::gelu_new: return "gelu_new";
    case Activation::gelu: return "gelu";
    case Activation::relu: return "relu";
  }
  return "?";
}

// Field names and defaults are those of transformers.FNetConfig, so a config.json written by Hugging Face
// (or by tools/) reads back unchanged. Fields FNet inference does not use (dropout, initializer_range,
// TPU options) are accepted and ignored.
struct Config {
  std::int64_t vocab_size = 32000;
  std::int64_t hidden_size = 768;
  std::int64_t num_hidden_layers = 12;
  std::int64_t intermediate_size = 3072;
  Activation hidden_act = Activation::gelu_new;
  std::int64_t max_position_embeddings = 512;
  std::int64_t type_vocab_size = 4;
  double layer_norm_eps = 1e-12;
  std::int64_t pad_token_id = 3;
  std::int64_t bos_token_id = 1;
  std::int64_t eos_token_id = 2;
  // Labels of the sequence-classification head, by class index (HF default: LABEL_0, LABEL_1).
  std::map<std::int64_t, std::string> id2label{{0, "LABEL_0"}, {1, "LABEL_1"}};
  // The model class the checkpoint was saved from ("FNetForQuestionAnswering", ...): config.json's
  // "architectures"; empty when absent.
  std::vector<std::string> architectures;
  // Sequence classification: "regression", "single_label_classification", "multi_label_classification",
  // or empty (not given: see resolved_problem_type()).
  std::string problem_type;

  std::int64_t num_labels() const { return static_cast<std::int64_t>(id2label.size()); }

  // problem_type, or what transformers' text-classification pipeline assumes without it: regression for
  // one label, single-label classification (softmax) for more.
  std::string resolved_problem_type() const {
    if (!problem_type.empty()) return problem_type;
    return num_labels() == 1 ? "regression" : "single_label_classification";
  }

  // Upper bound of every size field: FFTW plans take int lengths and token ids are int32.
  static constexpr std::int64_t kMaxSize = 2147483647;
  // Upper bound of num_labels when config.json gives a count instead of id2label (a shorthand; Hugging Face
  // writes id2label). Bounds the label names invented from a few bytes of JSON; larger heads list theirs.
  static constexpr std::int64_t kMaxLabels = 1 << 16;

  // Throws format_error naming the first field that cannot describe a model.
  void validate(const std::string& source = "config") const {
    auto positive = [&](const char* field, std::int64_t v) {
      if (v <= 0) throw format_error(source + ": field '" + field + "' must be positive; found " + std::to_string(v));
      if (v > kMaxSize)
        throw format_error(source + ": field '" + field + "' is " + std::to_string(v) + ", larger than " +
                           std::to_string(kMaxSize));
    };
    positive("vocab_size", vocab_size);
    positive("hidden_size", hidden_size);
    positive("num_hidden_layers", num_hidden_layers);
    positive("intermediate_size", intermediate_size);
    positive("max_position_embeddings", max_position_embeddings);
    positive("type_vocab_size", type_vocab_size);
    if (!(layer_norm_eps > 0.0) || !std::isfinite(layer_norm_eps))
      throw format_error(source + ": field 'layer_norm_eps' must be positive and finite; found " +
                         std::to_string(layer_norm_eps));
    if (pad_token_id < 0 || pad_token_id >= vocab_size)
      throw format_error(source + ": field 'pad_token_id' must be in [0, vocab_size=" + std::to_string(vocab_size) +
                         "); found " + std::to_string(pad_token_id));
    std::int64_t expected = 0;
    for (const auto& [id, label] : id2label) {
      if (id != expected)
        throw format_error(source + ": field 'id2label' must number classes 0.." +
                           std::to_string(id2label.size() - 1) + " without gaps; missing " + std::to_string(expected));
      ++expected;
    }
    if (!problem_type.empty() && problem_type != "regression" && problem_type != "single_label_classification" &&
        problem_type != "multi_label_classification")
      throw format_error(source + ": field 'problem_type' is '" + problem_type +
                         "'; expected regression, single_label_classification or multi_label_classification");
    if (problem_type == "regression" && num_labels() != 1)
      throw format_error(source + ": problem_type 'regression' needs num_labels 1; found " + std::to_string(num_labels()) +
                         " (id2label)");
  }

  // Parses a config.json document. `source` names it in error messages.
  static Config from_json(const nlohmann::json& j, const std::string& source = "config.json") {
    if (!j.is_object()) throw format_error(source + ": expected a JSON object at top level; found " + j.type_name());
    Config c;
    auto integer = [&](const char* field, std::int64_t& out) {
      auto it = j.find(field);
      if (it == j.end() || it->is_null()) return;
      if (!it->is_number_integer())
        throw format_error(source + ": field '" + field + "' must be an integer; found " + it->type_name() + " " +
                           detail::json_excerpt(*it));
      if (it->is_number_unsigned() &&
          it->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw format_error(source + ": field '" + field + "' is " + it->dump() + ", too large for a 64-bit integer");
      out = it->get<std::int64_t>();
    };
    integer("vocab_size", c.vocab_size);
    integer("hidden_size", c.hidden_size);
    integer("num_hidden_layers", c.num_hidden_layers);
    integer("intermediate_size", c.intermediate_size);
    integer("max_position_embeddings", c.max_position_embeddings);
    integer("type_vocab_size", c.type_vocab_size);
    integer("pad_token_id", c.pad_token_id);
    integer("bos_token_id", c.bos_token_id);
    integer("eos_token_id", c.eos_token_id);
    if (auto it = j.find("layer_norm_eps"); it != j.end()) {
      if (!it->is_number())
        throw format_error(source + ": field 'layer_norm_eps' must be a number; found " + it->type_name());
      c.layer_norm_eps = it->get<double>();
    }
    if (auto it = j.find("hidden_act"); it != j.end()) {
      if (!it->is_string())
        throw format_error(source + ": field 'hidden_act' must be a string; found " + it->type_name());
      c.hidden_act = parse_activation(it->get<std::string>(), source + ": field 'hidden_act'");
    }
    if (auto it = j.find("id2label"); it != j.end() && !it->is_null()) {
      if (!it->is_object()) throw format_error(source + ": field 'id2label' must be an object; found " + it->type_name());
      c.id2label.clear();  // replaces the default two labels, it does not add to them
      for (const auto& [key, value] : it->items()) {
        std::int64_t id = -1;
        std::size_t used = 0;
        try {
          id = std::stoll(key, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != key.size() || id < 0)
          throw format_error(source + ": field 'id2label' has key '" + key + "'; expected a class index 0, 1, ...");
        if (!value.is_string())
          throw format_error(source + ": field 'id2label[" + key + "]' must be a string; found " + value.type_name());
        c.id2label[id] = value.get<std::string>();
      }
    } else {
      // Hugging Face's default: num_labels (2 when absent) classes named LABEL_i.
      std::int64_t num_labels = 2;
      integer("num_labels", num_labels);
      if (num_labels < 0 || num_labels > kMaxLabels)
        throw format_error(source + ": field 'num_labels' must be in [0, " + std::to_string(kMaxLabels) + "]; found " +
                           std::to_string(num_labels));
      for (std::int64_t i = 0; i < num_labels; ++i) c.id2label[i] = "LABEL_" + std::to_string(i);
    }
    if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) throw format_error(source + ": field 'architectures' must be a list; found " + it->type_name());
      for (const auto& name : *it) {
        if (!name.is_string())
          throw format_error(source + ": field 'architectures' must list strings; found " + name.type_name());
        c.architectures.push_back(name.get<std::string>());
      }
    }
    if (auto it = j.find("problem_type"); it != j.end() && !it->is_null()) {
      if (!it->is_string()) throw format_error(source + ": field 'problem_type' must be a string; found " + it->type_name());
      c.problem_type = it->get<std::string>();
    }
    c.validate(source);
    return c;
  }

  static Config from_file(const std::string& path) {
    // A directory opens as an ifstream on Linux and then reads as empty: report it as what it is.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      throw io_error(path + ": cannot read config file: not a regular file");
    std::ifstream in(path);
    if (!in) throw io_error(path + ": cannot open config file");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);  // strict: trailing garbage is an error (`in >> j` would allow it)
    } catch (const nlohmann::json::exception& e) {
      throw format_error(path + ": not valid JSON: " + e.what());
    }
    return from_json(j, path);
  }

  nlohmann::json to_json() const {
    nlohmann::json j = {{"model_type", "fnet"},
                        {"vocab_size", vocab_size},
                        {"hidden_size", hidden_size},
                        {"num_hidden_layers", num_hidden_layers},
                        {"intermediate_size", intermediate_size},
                        {"hidden_act", to_string(hidden_act)},
                        {"max_position_embeddings", max_position_embeddings},
                        {"type_vocab_size", type_vocab_size},
                        {"layer_norm_eps", layer_norm_eps},
                        {"pad_token_id", pad_token_id},
                        {"bos_token_id", bos_token_id},
                        {"eos_token_id", eos_token_id}};
    // Always written, even empty: an absent id2label reads back as the two default labels.
    nlohmann::json labels = nlohmann::json::object(), ids = nlohmann::json::object();
    for (const auto& [id, label] : id2label) {
      labels[std::to_string(id)] = label;
      ids[label] = id;
    }
    j["id2label"] = labels;
    j["label2id"] = ids;
    if (!architectures.empty()) j["architectures"] = architectures;
    if (!problem_type.empty()) j["problem_type"] = problem_type;
    return j;
  }
};

}  // namespace fnet
