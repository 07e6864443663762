// Precision: how a model's Linear layers compute, chosen when it is loaded.
//
//   Precision::fp32  every weight and activation in float (the reference)
//   Precision::int8  dynamic quantization: the encoder's feed-forward Linears (intermediate.dense and
//                    output.dense of every layer) run as int8 GEMMs — symmetric int8 weights with one scale
//                    per output channel, quantized at load from the F32/F16/BF16 checkpoint; activations
//                    quantized per token (row) at run time; int32 accumulation; dequantization, bias,
//                    activation and residual in the GEMM's write-back. The word embedding table is stored
//                    int8 too (one scale per row) and dequantized row by row when looked up. Fourier
//                    mixing, LayerNorm, GELU, the embedding projection, pooler and every head stay fp32.
//
// LoadOptions::keep_fp32 lists layers that stay fp32 in an int8 model: parameter-name prefixes without
// ".weight" ("encoder.layer.11.output.dense", "embeddings.word_embeddings"), '*' matching any run of
// characters ("encoder.layer.*.output.dense").
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace fnet {

enum class Precision { fp32, int8 };

inline const char* to_string(Precision p) { return p == Precision::int8 ? "int8" : "fp32"; }

inline Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "int8") return Precision::int8;
  throw std::invalid_argument("unknown precision '" + name + "'; expected fp32 or int8");
}

struct LoadOptions {
  Precision precision = Precision::fp32;
  std::vector<std::string> keep_fp32;

  // Whether the layer called `name` (e.g. "encoder.layer.3.output.dense") is quantized under these options.
  bool quantizes(const std::string& name) const {
    if (precision != Precision::int8) return false;
    for (const std::string& pattern : keep_fp32)
      if (glob_match(pattern, name)) return false;
    return true;
  }

  // `pattern` with '*' matching any run of characters (iterative, no backtracking blow-up).
  static bool glob_match(const std::string& pattern, const std::string& text) {
    std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
    while (t < text.size()) {
      if (p < pattern.size() && pattern[p] == '*') {
        star = p++, mark = t;
      } else if (p < pattern.size() && pattern[p] == text[t]) {
        ++p, ++t;
      } else if (star != std::string::npos) {
        p = star + 1, t = ++mark;
      } else {
        return false;
      }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
  }
};

}  // namespace fnet
