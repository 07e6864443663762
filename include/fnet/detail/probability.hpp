// Scores from logits, shared by the task models and the pipelines: softmax and sigmoid in double
// (max-shifted, as transformers computes them in float64 numpy), and the top k of a probability vector.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace fnet::detail {

inline std::vector<double> softmax(const std::vector<double>& x) {
  std::vector<double> p(x.size());
  if (x.empty()) return p;
  const double top = *std::max_element(x.begin(), x.end());
  double total = 0;
  for (std::size_t i = 0; i < x.size(); ++i) total += p[i] = std::exp(x[i] - top);
  for (double& v : p) v /= total;
  return p;
}

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// The k most probable of `candidates` (ids into `probs`; empty = every id), most probable first; equal
// probabilities keep the lower id first, so the order is deterministic.
inline std::vector<std::int32_t> top_k_ids(const std::vector<double>& probs, std::vector<std::int32_t> candidates,
                                           std::size_t k) {
  if (candidates.empty()) {
    candidates.resize(probs.size());
    std::iota(candidates.begin(), candidates.end(), 0);
  }
  k = std::min(k, candidates.size());
  const auto p = [&](std::int32_t id) { return probs[static_cast<std::size_t>(id)]; };
  std::partial_sort(candidates.begin(), candidates.begin() + std::ptrdiff_t(k), candidates.end(),
                    [&](std::int32_t a, std::int32_t b) { return p(a) > p(b) || (p(a) == p(b) && a < b); });
  candidates.resize(k);
  return candidates;
}

}  // namespace fnet::detail
