// Helpers shared by the benchmark programs: random weights and inputs, the FNet-base configuration.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include <fnet/fnet.hpp>

namespace fnet::bench {

// A matrix of N(0, std²) values from a fixed seed.
template <class Scalar>
RowMatrix<Scalar> random_matrix(Index rows, Index cols, std::uint32_t seed, double stddev = 1.0) {
  std::mt19937 gen(seed);
  std::normal_distribution<Scalar> dist(Scalar(0), Scalar(stddev));
  RowMatrix<Scalar> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = dist(gen);
  return m;
}

// Non-trivial random weights in the spirit of tests/reference's randomize_: LayerNorm gains near 1,
// small biases, weights of standard deviation 0.05.
template <class Scalar>
ParameterVisitor<Scalar> random_weights(std::uint32_t seed) {
  auto gen = std::make_shared<std::mt19937>(seed);
  return [gen](const ParameterRef<Scalar>& p) {
    std::normal_distribution<Scalar> dist(Scalar(0), Scalar(1));
    std::int64_t count = 1;
    for (auto s : p.shape) count *= s;
    const bool gain = p.name.find("LayerNorm.weight") != std::string::npos;
    const bool bias = p.name.size() >= 4 && p.name.compare(p.name.size() - 4, 4, "bias") == 0;
    for (std::int64_t i = 0; i < count; ++i) {
      const Scalar z = dist(*gen);
      p.data[i] = gain ? Scalar(1) + Scalar(0.2) * z : bias ? Scalar(0.1) * z : Scalar(0.05) * z;
    }
  };
}

// FNet-base: 12 layers, hidden 768, intermediate 3072, vocabulary 32000, 512 positions (Config's defaults).
inline Config fnet_base_config() { return Config{}; }

// Random token ids in [0, vocab).
inline TokenIds random_ids(Index batch, Index seq, std::int64_t vocab, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::int32_t> dist(0, static_cast<std::int32_t>(vocab - 1));
  TokenIds ids(batch, seq);
  for (Index i = 0; i < ids.size(); ++i) ids.data()[i] = dist(gen);
  return ids;
}

}  // namespace fnet::bench
