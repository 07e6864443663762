// Test support: writing safetensors files and small random FNet model directories from C++, so the
// hardening tests, the concurrency test and the fuzzers need no Python.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fnet/config.hpp"
#include "fnet/io/load.hpp"

namespace fnet_test {

// float -> IEEE binary16, round to nearest even (finite values; overflow gives inf, NaN stays NaN).
inline std::uint16_t float_to_f16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u);  // NaN
  if (abs >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                                                   // below 2^-14: subnormal half
    // value = abs_float; half subnormal unit is 2^-24.
    float a;
    std::memcpy(&a, &abs, 4);
    const float scaled = a * 16777216.0f;  // exact: multiplying by 2^24
    const auto m = static_cast<std::uint16_t>(std::nearbyint(scaled));  // round-half-even in default mode
    return static_cast<std::uint16_t>(sign | m);  // m == 0x400 becomes the smallest normal: still right
  }
  // Normal: rebias the exponent, round the 23-bit mantissa to 10 bits (half to even).
  std::uint32_t e = (abs >> 23) - 127 + 15;
  std::uint32_t m = abs & 0x7FFFFFu;
  std::uint32_t half = (e << 10) | (m >> 13);
  const std::uint32_t rest = m & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // carry may bump the exponent: correct
  return static_cast<std::uint16_t>(sign | half);
}

// float -> bfloat16, round to nearest even.
inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  const std::uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>((x + rounding) >> 16);
}

// Collects tensors and writes a safetensors file. Values are given as floats and stored in `dtype`.
class SafetensorsWriter {
 public:
  // Raw bytes for a tensor of any dtype string (also invalid ones, for negative tests).
  void add_raw(const std::string& name, const std::string& dtype, const std::vector<std::int64_t>& shape,
               std::string bytes) {
    entries_[name] = Entry{dtype, shape, std::move(bytes)};
  }

  void add(const std::string& name, const std::vector<std::int64_t>& shape, const std::vector<float>& values,
           const std::string& dtype = "F32") {
    std::string bytes;
    auto put = [&](std::uint64_t v, int n) {
      for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    };
    for (float v : values) {
      if (dtype == "F32") {
        std::uint32_t b;
        std::memcpy(&b, &v, 4);
        put(b, 4);
      } else if (dtype == "F64") {
        const double d = v;
        std::uint64_t b;
        std::memcpy(&b, &d, 8);
        put(b, 8);
      } else if (dtype == "F16") {
        put(float_to_f16(v), 2);
      } else if (dtype == "BF16") {
        put(float_to_bf16(v), 2);
      } else {
        throw std::invalid_argument("SafetensorsWriter: dtype " + dtype);
      }
    }
    add_raw(name, dtype, shape, std::move(bytes));
  }

  void remove(const std::string& name) { entries_.erase(name); }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }

  std::string bytes() const {
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    for (const auto& [name, e] : entries_) {
      const std::size_t begin = data.size(), end = begin + e.bytes.size();
      header[name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {begin, end}}};
      data += e.bytes;
    }
    std::string h = header.dump();
    while (h.size() % 8) h.push_back(' ');
    std::string out;
    const auto length = static_cast<std::uint64_t>(h.size());
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
    return out + h + data;
  }

  void write(const std::filesystem::path& path) const {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    const std::string b = bytes();
    f.write(b.data(), static_cast<std::streamsize>(b.size()));
    if (!f) throw std::runtime_error("cannot write " + path.string());
  }

 private:
  struct Entry {
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::string bytes;
  };
  std::map<std::string, Entry> entries_;
};

// A small configuration: fast enough for sanitizers, big enough to exercise every code path.
inline fnet::Config tiny_config(std::int64_t vocab_size = 120) {
  fnet::Config c;
  c.vocab_size = vocab_size;
  c.hidden_size = 24;
  c.num_hidden_layers = 2;
  c.intermediate_size = 40;
  c.max_position_embeddings = 48;
  c.type_vocab_size = 3;
  c.pad_token_id = 0;
  c.id2label = {{0, "negative"}, {1, "positive"}, {2, "neutral"}};
  return c;
}

// Random weights for every parameter `config` implies (as fnet::detail::for_each_parameter_shape lists
// them): LayerNorm gains near 1, everything else uniform in [-0.1, 0.1]. Deterministic for a seed.
inline std::map<std::string, std::vector<float>> random_weights(const fnet::Config& config, bool with_classifier,
                                                                std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  std::map<std::string, std::vector<float>> out;
  fnet::detail::for_each_parameter_shape(config, with_classifier,
                                         [&](const std::string& name, const std::vector<std::int64_t>& shape) {
                                           std::int64_t n = 1;
                                           for (auto d : shape) n *= d;
                                           std::vector<float> v(static_cast<std::size_t>(n));
                                           const bool gain = name.find("LayerNorm.weight") != std::string::npos;
                                           for (auto& x : v) x = gain ? 1.0f + u(rng) : u(rng);
                                           out[name] = std::move(v);
                                           return true;
                                         });
  return out;
}

inline std::map<std::string, std::vector<std::int64_t>> parameter_shapes(const fnet::Config& config,
                                                                         bool with_classifier) {
  std::map<std::string, std::vector<std::int64_t>> out;
  fnet::detail::for_each_parameter_shape(config, with_classifier,
                                         [&](const std::string& name, const std::vector<std::int64_t>& shape) {
                                           out[name] = shape;
                                           return true;
                                         });
  return out;
}

// The safetensors writer filled with `weights` (names as for_each_parameter_shape gives them).
inline SafetensorsWriter checkpoint(const fnet::Config& config, bool with_classifier,
                                    const std::map<std::string, std::vector<float>>& weights,
                                    const std::string& dtype = "F32") {
  SafetensorsWriter w;
  const auto shapes = parameter_shapes(config, with_classifier);
  for (const auto& [name, values] : weights) w.add(name, shapes.at(name), values, dtype);
  return w;
}

inline void write_config(const std::filesystem::path& dir, const nlohmann::json& config) {
  std::filesystem::create_directories(dir);
  std::ofstream f(dir / "config.json", std::ios::trunc);
  f << config.dump(2);
  if (!f) throw std::runtime_error("cannot write " + (dir / "config.json").string());
}

// Writes dir/config.json and dir/model.safetensors for a random model; returns the weights written.
inline std::map<std::string, std::vector<float>> write_random_model(const std::filesystem::path& dir,
                                                                    const fnet::Config& config, std::uint32_t seed = 7,
                                                                    const std::string& dtype = "F32",
                                                                    bool with_classifier = true) {
  auto weights = random_weights(config, with_classifier, seed);
  write_config(dir, config.to_json());
  checkpoint(config, with_classifier, weights, dtype).write(dir / "model.safetensors");
  return weights;
}

}  // namespace fnet_test
