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
#include "fnet/models/model.hpp"

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

inline bool uses_fnet_prefix(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [](const std::string& n) { return starts_with(n, "fnet."); });
}

// The name a parameter has in a checkpoint: task models prefix the encoder with "fnet.".
inline std::string checkpoint_name(const std::string& parameter, bool prefixed) {
  return (prefixed && !starts_with(parameter, "classifier.")) ? "fnet." + parameter : parameter;
}

inline shape_error wrong_shape(const SafetensorsFile& file, const std::string& name,
                               const std::vector<std::int64_t>& expected, const std::vector<std::int64_t>& found) {
  const bool head = name == "classifier.weight" || name == "classifier.bias";
  const std::string why = head ? " (num_labels from config.json id2label)" : "";
  return shape_error(file.path() + ": tensor '" + name + "' has wrong shape; expected " + shape_string(expected) + why +
                     ", found " + shape_string(found));
}

inline format_error missing_tensors(const SafetensorsFile& file, const std::vector<std::string>& missing,
                                    const std::string& total) {
  std::string list;
  for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", '" : "'") + missing[i] + "'";
  if (missing.size() > 5) list += ", ... (" + total + " in all)";
  return format_error(file.path() + ": missing tensor " + list);
}

// Calls visit(name, shape) for every parameter of FNetModel(config, with_classifier), with the names and
// shapes, in the order, that its visit_parameters() reports, but without allocating the model; stops when
// visit returns false. (tests/test_errors.cpp checks that the two agree.)
template <class Visit>
void for_each_parameter_shape(const Config& c, bool with_classifier, Visit&& visit) {
  using Shape = std::vector<std::int64_t>;
  const std::int64_t h = c.hidden_size, in = c.intermediate_size;
  auto linear = [&](const std::string& prefix, std::int64_t out_features, std::int64_t in_features) {
    return visit(prefix + ".weight", Shape{out_features, in_features}) && visit(prefix + ".bias", Shape{out_features});
  };
  auto norm = [&](const std::string& prefix) {
    return visit(prefix + ".weight", Shape{h}) && visit(prefix + ".bias", Shape{h});
  };
  if (!visit("embeddings.word_embeddings.weight", Shape{c.vocab_size, h}) ||
      !visit("embeddings.position_embeddings.weight", Shape{c.max_position_embeddings, h}) ||
      !visit("embeddings.token_type_embeddings.weight", Shape{c.type_vocab_size, h}) || !norm("embeddings.LayerNorm") ||
      !linear("embeddings.projection", h, h))
    return;
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string layer = "encoder.layer." + std::to_string(i);
    if (!norm(layer + ".fourier.output.LayerNorm") || !linear(layer + ".intermediate.dense", in, h) ||
        !linear(layer + ".output.dense", h, in) || !norm(layer + ".output.LayerNorm"))
      return;
  }
  if (!linear("pooler.dense", h, h)) return;
  if (with_classifier) linear("classifier", c.num_labels(), h);
}

// Checks that `file` holds every tensor `config` implies, with exactly the implied shape, BEFORE a model
// is allocated: the sizes in config.json are only trusted once the file backs them, so a config claiming
// e.g. hidden_size 1e6 is a shape_error here instead of a terabyte allocation. Afterwards the model's
// memory is bounded by the (validated, non-overlapping) tensor bytes actually present in the file.
inline void check_checkpoint(const Config& config, bool with_classifier, const SafetensorsFile& file) {
  const bool prefixed = uses_fnet_prefix(file.names());
  // Stop listing after this many: a config claiming 2^31 layers must not take 2^34 lookups to reject.
  constexpr std::size_t kMaxMissing = 1000;
  std::vector<std::string> missing;
  auto check = [&](const std::string& parameter, const std::vector<std::int64_t>& shape) {
    const std::string name = checkpoint_name(parameter, prefixed);
    if (!file.contains(name)) {
      missing.push_back(name);
      return missing.size() < kMaxMissing;
    }
    const TensorInfo& info = file.info(name);
    if (info.shape != shape) throw wrong_shape(file, name, shape, info.shape);
    return true;
  };
  for_each_parameter_shape(config, with_classifier, check);
  if (!missing.empty()) {
    const bool all = missing.size() < kMaxMissing;
    throw missing_tensors(file, missing, all ? std::to_string(missing.size()) : std::to_string(kMaxMissing) + " or more");
  }
}

// Fills `model` from `file`. Encoder tensors may carry the "fnet." prefix (task models) or not (bare
// FNetModel). Every tensor the model needs must be present with exactly the shape the config implies;
// a tensor the model does not know is an error, except PyTorch buffers and, for a model without that
// head, the heads of other tasks (cls.* of masked-LM checkpoints), which a base model ignores as HF does.
template <class Scalar>
void load_weights(FNetModel<Scalar>& model, const SafetensorsFile& file) {
  const std::vector<std::string> names = file.names();
  const bool prefixed = uses_fnet_prefix(names);
  std::set<std::string> used;
  std::vector<std::string> missing;
  model.visit_parameters([&](const ParameterRef<Scalar>& p) {
    const std::string name = checkpoint_name(p.name, prefixed);
    if (!file.contains(name)) {
      missing.push_back(name);
      return;
    }
    const TensorInfo& info = file.info(name);
    if (info.shape != p.shape) throw wrong_shape(file, name, p.shape, info.shape);
    file.template read<Scalar>(name, p.shape, p.data);
    used.insert(name);
  });
  if (!missing.empty()) throw missing_tensors(file, missing, std::to_string(missing.size()));
  for (const std::string& name : names) {
    if (used.count(name) || is_known_buffer(name)) continue;
    // The task heads' tensors (read by the head classes, models/*.hpp; a base model ignores them, as HF does).
    if (starts_with(name, "cls.") || starts_with(name, "qa_outputs.") ||
        (!model.has_classifier() && starts_with(name, "classifier.")))
      continue;
    throw format_error(file.path() + ": unexpected tensor '" + name + "' (not part of an FNet model with this config)");
  }
}

// Reads a head tensor (no "fnet." prefix: classifier.*, qa_outputs.*, cls.*) of exactly `shape` into `out`:
// format_error naming it (and `head`) when absent, shape_error when its shape differs.
template <class Scalar>
void read_head_tensor(const SafetensorsFile& file, const std::string& name, const std::vector<std::int64_t>& shape,
                      Scalar* out, const std::string& head) {
  if (!file.contains(name)) throw format_error(file.path() + ": missing tensor '" + name + "' of the " + head + " head");
  const TensorInfo& info = file.info(name);
  if (info.shape != shape) throw wrong_shape(file, name, shape, info.shape);
  file.template read<Scalar>(name, shape, out);
}

// A head's Linear `prefix`.weight / `prefix`.bias, checked against the Linear's shape.
template <class Scalar>
void read_head_linear(const SafetensorsFile& file, const std::string& prefix, Linear<Scalar>& linear, const std::string& head) {
  RowMatrix<Scalar> w(linear.out_features(), linear.in_features());
  read_head_tensor(file, prefix + ".weight", {w.rows(), w.cols()}, w.data(), head);
  linear.set_weight(w);
  read_head_tensor(file, prefix + ".bias", {linear.bias().size()}, linear.bias().data(), head);
}

// Opens `dir` (config.json + model.safetensors), checks the encoder's tensors against the config before
// anything config-sized is allocated, builds Head(config, options), loads the encoder and lets the head
// read its own tensors (Head::load_head(file)).
template <class Head>
Head load_task_model(const std::string& dir, const LoadOptions& options) {
  if (!is_directory(dir)) throw io_error(dir + ": model directory does not exist or is not a directory");
  const Config config = Config::from_file(dir + "/config.json");
  const SafetensorsFile file(dir + "/model.safetensors");
  check_checkpoint(config, false, file);
  Head head(config, options);
  load_weights(head.encoder(), file);
  head.load_head(file);
  return head;
}

}  // namespace detail

// Loads `dir`/config.json and `dir`/model.safetensors. The classification head is loaded when the
// checkpoint has one (classifier.weight or classifier.bias present). Weights of any stored dtype (F32,
// F16, BF16, F64) are converted to Scalar. Nothing config-sized is allocated until the file is known to
// hold every tensor with the shape config.json implies (detail::check_checkpoint).
//
// options.precision = Precision::int8 quantizes the model as it loads (precision.hpp):
//   fnet::load_model<float>(dir, {fnet::Precision::int8})
template <class Scalar = float>
FNetModel<Scalar> load_model(const std::string& dir, const LoadOptions& options = {}) {
  if (!detail::is_directory(dir)) throw io_error(dir + ": model directory does not exist or is not a directory");
  const Config config = Config::from_file(dir + "/config.json");
  const detail::SafetensorsFile file(dir + "/model.safetensors");
  // Either half of the head means the checkpoint has one (the other half missing is then an error, not
  // a silently dropped head).
  const bool with_classifier = file.contains("classifier.weight") || file.contains("classifier.bias");
  detail::check_checkpoint(config, with_classifier, file);
  FNetModel<Scalar> model(config, with_classifier, options);
  detail::load_weights(model, file);
  return model;
}

}  // namespace fnet
