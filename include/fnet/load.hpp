// Loading a model directory in Hugging Face layout: config.json + model.safetensors.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "fnet/config.hpp"
#include "fnet/detail/safetensors.hpp"
#include "fnet/error.hpp"
#include "fnet/model.hpp"

namespace fnet {

namespace detail {

inline bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Buffers PyTorch may save beside the weights; they carry no learned values.
inline bool is_known_buffer(const std::string& name) {
  return ends_with(name, "embeddings.position_ids") || ends_with(name, "embeddings.token_type_ids");
}

// Fills `model` from `file`. Encoder tensors may carry the "fnet." prefix (task models) or not (bare
// FNetModel). Every tensor the model needs must be present with exactly the shape the config implies;
// a tensor the model does not know is an error, except PyTorch buffers and, for a model without that
// head, the heads of other tasks (cls.* of masked-LM checkpoints), which a base model ignores as HF does.
template <class Scalar>
void load_weights(FNetModel<Scalar>& model, const SafetensorsFile& file) {
  const std::vector<std::string> names = file.names();
  const bool prefixed = std::any_of(names.begin(), names.end(), [](const std::string& n) { return starts_with(n, "fnet."); });
  std::set<std::string> used;
  std::vector<std::string> missing;
  model.visit_parameters([&](const ParameterRef<Scalar>& p) {
    const std::string name = (prefixed && !starts_with(p.name, "classifier.")) ? "fnet." + p.name : p.name;
    if (!file.contains(name)) {
      missing.push_back(name);
      return;
    }
    const TensorInfo& info = file.info(name);
    if (info.shape != p.shape) {
      std::string why = name == "classifier.weight" || name == "classifier.bias" ? " (num_labels from config.json id2label)" : "";
      throw shape_error(file.path() + ": tensor '" + name + "' has wrong shape; expected " + shape_string(p.shape) + why +
                        ", found " + shape_string(info.shape));
    }
    file.template read<Scalar>(name, p.shape, p.data);
    used.insert(name);
  });
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", '" : "'") + missing[i] + "'";
    if (missing.size() > 5) list += ", ... (" + std::to_string(missing.size()) + " in all)";
    throw format_error(file.path() + ": missing tensor " + list);
  }
  for (const std::string& name : names) {
    if (used.count(name) || is_known_buffer(name)) continue;
    if (starts_with(name, "cls.") || (!model.has_classifier() && starts_with(name, "classifier."))) continue;
    throw format_error(file.path() + ": unexpected tensor '" + name + "' (not part of an FNet model with this config)");
  }
}

}  // namespace detail

// Loads `dir`/config.json and `dir`/model.safetensors. The classification head is loaded when the
// checkpoint has one (classifier.weight present). Weights of any stored dtype (F32, F16, BF16, F64)
// are converted to Scalar.
template <class Scalar = float>
FNetModel<Scalar> load_model(const std::string& dir) {
  if (!detail::is_directory(dir)) throw io_error(dir + ": model directory does not exist or is not a directory");
  const Config config = Config::from_file(dir + "/config.json");
  const detail::SafetensorsFile file(dir + "/model.safetensors");
  FNetModel<Scalar> model(config, file.contains("classifier.weight"));
  detail::load_weights(model, file);
  return model;
}

}  // namespace fnet
