// int8 dynamic quantization (precision.hpp): the int8 GEMM of every ISA level this CPU has, bit for bit
// against an exact integer reference (random and worst-case operands, every tile tail); the per-row
// activation quantization against its definition; Linear, model and shipped-classifier accuracy against
// fp32 with stated bounds.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fnet/fnet.hpp>

namespace {

using fnet::Index;
using Matrix = fnet::RowMatrix<float>;

Matrix random_matrix(Index rows, Index cols, unsigned seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  Matrix m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = dist(gen);
  return m;
}

// The int8 kernels this CPU can run: nullptr stands for the plain C++ path (Isa::generic).
std::vector<fnet::Isa> int8_levels() {
  std::vector<fnet::Isa> levels{fnet::Isa::generic};
  if (fnet::cpu::supports(fnet::Isa::avx2)) levels.push_back(fnet::Isa::avx2);
  if (fnet::cpu::has_avx512_vnni()) levels.push_back(fnet::Isa::avx512);
  return levels;
}

// Σ_k (u_ik − 128)·q_jk through the kernel the weights were packed for, straight from given bytes u.
std::vector<std::int32_t> raw_product(const fnet::detail::QuantizedMatrix& w, const std::vector<std::uint8_t>& u, Index m) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(m * w.rows()), -7);
  std::vector<float> ones(static_cast<std::size_t>(m), 1.0f);
  fnet::detail::Int8GemmArgs g;
  g.m = m, g.n = w.rows(), g.kp = w.padded_cols(), g.x = u.data(), g.ldx = w.padded_cols(), g.x_scale = ones.data();
  g.packed = w.data(), g.compensation = w.compensation(), g.w_scale = w.scales(), g.raw = out.data();
  if (!w.kernels()) {
    fnet::detail::int8_gemm_generic(g);
  } else {
    g.block_panels = 2;  // several blocks even on small shapes
    const Index panels = (g.n + w.kernels()->tile_cols - 1) / w.kernels()->tile_cols;
    w.kernels()->gemm_block(g, 0, m, 0, panels);
  }
  return out;
}

std::vector<std::int32_t> exact_product(const fnet::detail::QuantizedMatrix& w, const std::vector<std::uint8_t>& u, Index m) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(m * w.rows()));
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < w.rows(); ++j) {
      std::int64_t sum = 0;
      for (Index k = 0; k < w.cols(); ++k) sum += (std::int64_t(u[std::size_t(i * w.padded_cols() + k)]) - 128) * w.at(j, k);
      out[std::size_t(i * w.rows() + j)] = static_cast<std::int32_t>(sum);
    }
  return out;
}

// Weights whose quantization is exact: integers in [−qmax, qmax], every row reaching ±qmax (scale 1).
fnet::detail::QuantizedMatrix integer_weights(const Matrix& values, fnet::Isa isa) {
  return fnet::detail::QuantizedMatrix(values.data(), values.rows(), values.cols(), isa);
}

int weight_max(fnet::Isa isa) {
  const auto* k = fnet::detail::int8_kernels(isa);
  return k ? k->weight_max : 127;
}

}  // namespace

TEST_CASE("int8 GEMM accumulators equal the exact integer products, random operands, every tile tail", "[int8]") {
  for (fnet::Isa isa : int8_levels()) {
    const int qmax = weight_max(isa);
    const auto* kernels = fnet::detail::int8_kernels(isa);
    const Index mr = kernels ? kernels->tile_rows : 1, nr = kernels ? kernels->tile_cols : 1;
    for (Index m : {Index(1), mr, mr + 1, 3 * mr - 1})
      for (Index n : {Index(1), nr - 1 > 0 ? nr - 1 : 2, nr + 3, 3 * nr + 5})
        for (Index k : {1, 5, 64, 771}) {
          CAPTURE(fnet::to_string(isa), m, n, k);
          std::mt19937 gen(unsigned(m * 1000 + n * 10 + k));
          std::uniform_int_distribution<int> weight(-qmax, qmax), byte(0, 255);
          Matrix values(n, k);
          for (Index i = 0; i < values.size(); ++i) values.data()[i] = float(weight(gen));
          for (Index j = 0; j < n; ++j) values(j, 0) = float(qmax);  // scale 1: q equals the values
          const auto w = integer_weights(values, isa);
          REQUIRE(w.scales()[0] == 1.0f);
          std::vector<std::uint8_t> u(static_cast<std::size_t>(m * w.padded_cols()), 128);
          for (Index i = 0; i < m; ++i)
            for (Index j = 0; j < k; ++j) u[std::size_t(i * w.padded_cols() + j)] = std::uint8_t(byte(gen));
          CHECK(raw_product(w, u, m) == exact_product(w, u, m));
        }
  }
}

TEST_CASE("int8 GEMM accumulators stay exact on the worst case: every byte 255 or 0, every weight ±qmax", "[int8]") {
  // The AVX2 kernel adds byte products in pairs into int16 (vpmaddubsw): 255·127 + 255·127 would saturate
  // there, which is why its weights are 7-bit (qmax 63). These operands make every pair sum as large as
  // it can be; a kernel whose qmax let a pair pass 32767 fails here.
  const Index m = 9, n = 50, k = 3072;
  for (fnet::Isa isa : int8_levels()) {
    const int qmax = weight_max(isa);
    for (int pattern = 0; pattern < 4; ++pattern) {
      CAPTURE(fnet::to_string(isa), qmax, pattern);
      Matrix values(n, k);
      for (Index j = 0; j < n; ++j)
        for (Index i = 0; i < k; ++i) values(j, i) = float(pattern % 2 == 0 ? qmax : ((i + j) % 2 ? qmax : -qmax));
      const auto w = integer_weights(values, isa);
      std::vector<std::uint8_t> u(static_cast<std::size_t>(m * w.padded_cols()), pattern < 2 ? 255 : 0);
      const auto exact = exact_product(w, u, m);
      CHECK(raw_product(w, u, m) == exact);
      if (pattern == 0) CHECK(exact[0] == 127 * qmax * k);  // (255 − 128)·qmax·k: the largest sum there is
    }
  }
}

TEST_CASE("activations are quantized per row as defined, by every ISA level's kernel", "[int8]") {
  const Index rows = 13, k = 771, kp = 772;
  Matrix x = random_matrix(rows, k, 3);
  x.row(2) *= 1000.0f;
  x.row(5) *= 0.001f;
  x.row(7).setZero();
  for (fnet::Isa isa : int8_levels()) {
    const auto* kernels = fnet::detail::int8_kernels(isa);
    CAPTURE(fnet::to_string(isa));
    std::vector<std::uint8_t> u(static_cast<std::size_t>(rows * kp), 0);
    std::vector<float> scales(static_cast<std::size_t>(rows));
    if (kernels)
      kernels->quantize_rows(x.data(), k, rows, k, kp, u.data(), kp, scales.data());
    else
      fnet::detail::quantize_rows_generic(x.data(), k, rows, k, kp, u.data(), kp, scales.data());
    for (Index r = 0; r < rows; ++r) {
      const float largest = x.row(r).cwiseAbs().maxCoeff();
      const float want_scale = largest > 0 ? largest / 127.0f : 1.0f;
      CHECK(scales[std::size_t(r)] == want_scale);
      const float inverse = largest > 0 ? 127.0f / largest : 0.0f;
      for (Index j = 0; j < k; ++j) {
        const std::uint8_t want = std::uint8_t(std::nearbyint(x(r, j) * inverse) + 128);
        if (u[std::size_t(r * kp + j)] != want) FAIL_CHECK("row " << r << " col " << j);
        // Round trip: within half a step of the value.
        CHECK(std::fabs(x(r, j) - scales[std::size_t(r)] * (float(u[std::size_t(r * kp + j)]) - 128.0f)) <=
              0.5f * scales[std::size_t(r)] * 1.0001f);
      }
      CHECK(u[std::size_t(r * kp + k)] == 128);  // padding is the value 0
    }
  }
}

TEST_CASE("an int8 Linear follows fp32 within quantization error, per row, on rows of any magnitude", "[int8]") {
  // Rows 1000× larger and 1000× smaller than the rest: with one scale for the whole input (per-tensor),
  // the small row would quantize to zeros and be off by 100%; per row, every row keeps the ~1% of 8-bit
  // quantization (measured 1.0–1.2%; 7-bit weights on AVX2 about 1.5×).
  const Index m = 6, in = 768, out = 300;
  Matrix x = random_matrix(m, in, 5);
  x.row(1) *= 1000.0f;
  x.row(4) *= 0.001f;
  const Matrix w = random_matrix(out, in, 6, 0.05f);
  for (fnet::Isa isa : int8_levels()) {
    fnet::cpu::set_max_isa(isa);
    fnet::Linear<float> linear(in, out);
    linear.set_weight(w);
    linear.bias().setZero();
    const Matrix want = x * w.transpose();
    linear.quantize();
    CHECK(linear.precision() == fnet::Precision::int8);
    CHECK(linear.packed_weight().data() == nullptr);  // the fp32 copy is released
    for (int threads : {1, 2}) {
      fnet::Workspace<float> ws(threads);
      Matrix y(m, out);
      linear(x, fnet::MatrixMap<float>(y.data(), m, out), ws);
      for (Index r = 0; r < m; ++r) {
        const double relative = (y.row(r) - want.row(r)).norm() / want.row(r).norm();
        CAPTURE(fnet::to_string(isa), threads, r, relative);
        CHECK(relative <= (isa == fnet::Isa::avx2 ? 0.03 : 0.02));  // 7-bit weights on AVX2
      }
    }
    // A row holding NaN gives NaN outputs in that row only.
    Matrix bad = x;
    bad(3, 10) = std::nanf("");
    fnet::Workspace<float> ws(1);
    Matrix y(m, out);
    linear(bad, fnet::MatrixMap<float>(y.data(), m, out), ws);
    CHECK(y.row(3).array().isNaN().all());
    CHECK(y.row(2).allFinite());
  }
  fnet::cpu::set_max_isa(fnet::cpu::detected_isa());
}

namespace {

fnet::Config small_config(std::int64_t layers = 2) {
  fnet::Config c;
  c.vocab_size = 300;
  c.hidden_size = 96;
  c.intermediate_size = 384;
  c.num_hidden_layers = layers;
  c.max_position_embeddings = 64;
  return c;
}

// Random weights in the spirit of the PyTorch reference's: LayerNorm gains near 1, small biases.
void randomize(fnet::FNetModel<float>& model, unsigned seed) {
  std::mt19937 gen(seed);
  model.visit_parameters([&](const fnet::ParameterRef<float>& p) {
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::int64_t count = 1;
    for (auto d : p.shape) count *= d;
    const bool gain = p.name.find("LayerNorm.weight") != std::string::npos;
    const bool bias = p.name.size() >= 4 && p.name.compare(p.name.size() - 4, 4, "bias") == 0;
    for (std::int64_t i = 0; i < count; ++i) {
      const float z = dist(gen);
      p.data[i] = gain ? 1.0f + 0.2f * z : bias ? 0.1f * z : 0.05f * z;
    }
  });
}

double relative_error(const float* got, const float* want, Index n) {
  double diff = 0, norm = 0;
  for (Index i = 0; i < n; ++i) diff += double(got[i] - want[i]) * double(got[i] - want[i]), norm += double(want[i]) * want[i];
  return std::sqrt(diff / norm);
}

}  // namespace

TEST_CASE("an int8 model quantizes what precision.hpp says and follows its fp32 twin", "[int8]") {
  const fnet::Config config = small_config();
  fnet::FNetModel<float> fp32(config), int8(config, true, fnet::LoadOptions{fnet::Precision::int8, {}});
  randomize(fp32, 1);
  randomize(int8, 1);  // the same values, quantized as they are set
  CHECK(int8.precision() == fnet::Precision::int8);
  fnet::TokenIds ids(2, 40);
  for (Index i = 0; i < ids.size(); ++i) ids.data()[i] = std::int32_t((i * 37) % config.vocab_size);
  fnet::Workspace<float> ws_a, ws_b;
  const auto a = fp32.forward(ids, ws_a);
  const auto b = int8.forward(ids, ws_b);
  const double hidden = relative_error(b.hidden_states.data(), a.hidden_states.data(), a.hidden_states.size());
  const double logits = relative_error(b.logits.data(), a.logits.data(), a.logits.size());
  CAPTURE(hidden, logits);
  CHECK(hidden > 0);  // it really ran in int8
  CHECK(hidden <= 0.05);
  CHECK(logits <= 0.05);
}

TEST_CASE("int8 FNet-base (random weights) follows fp32: hidden states and logits, seq 128 and 512", "[int8]") {
  fnet::Config base;  // FNet-base: 12 × 768 × 3072, vocab 32000
  fnet::FNetModel<float> fp32(base), int8(base, true, fnet::LoadOptions{fnet::Precision::int8, {}});
  randomize(fp32, 11);
  randomize(int8, 11);
  for (Index seq : {128, 512}) {
    fnet::TokenIds ids(1, seq);
    for (Index i = 0; i < seq; ++i) ids.data()[i] = std::int32_t((i * 7919) % base.vocab_size);
    fnet::Workspace<float> ws_a(2), ws_b(2);
    const auto a = fp32.forward(ids, ws_a);
    const auto b = int8.forward(ids, ws_b);
    const double hidden = relative_error(b.hidden_states.data(), a.hidden_states.data(), a.hidden_states.size());
    const double pooled = relative_error(b.pooled.data(), a.pooled.data(), a.pooled.size());
    const double logits = relative_error(b.logits.data(), a.logits.data(), a.logits.size());
    std::printf("int8 vs fp32, FNet-base random weights, seq %ld: relative error hidden %.4f, pooled %.4f, logits %.4f\n",
                long(seq), hidden, pooled, logits);
    CAPTURE(seq, hidden, pooled, logits);
    // Random 12-layer weights compound each layer's ~1.8% (measured: 2%, 2.6%, 4%, 13% at 1, 2, 4, 12
    // layers); PyTorch's quantize_dynamic on the same model: hidden 25% (onednn) / 16% (qnnpack), logits
    // 16% / 10% at seq 128 (tools/torch_quantization_error.py). Measured here 13% / 3–9% with 8-bit weights, 18% / 7–11% with AVX2's
    // 7-bit ones. A per-tensor activation scale or a wrong zero point lands far above these bounds.
    const bool seven_bit = weight_max(fnet::cpu::active_isa()) == 63;
    CHECK(hidden > 0);
    CHECK(hidden <= (seven_bit ? 0.22 : 0.16));
    CHECK(logits <= 0.15);
  }
}

TEST_CASE("the shipped SST-2 classifier keeps its accuracy and its labels in int8", "[int8]") {
  const std::string model = std::string(FNET_SOURCE_DIR) + "/examples/models/sst2-fnet-small";
  const std::string tsv = std::string(FNET_SHARED_DIR) + "/data/sst2/dev.tsv";
  std::ifstream in(tsv);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> texts;
  std::vector<std::int64_t> labels;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    labels.push_back(std::stoll(line.substr(0, tab)));
    texts.push_back(line.substr(tab + 1));
  }
  REQUIRE(texts.size() == 872);
  const fnet::SequenceClassifier<float> fp32(model), int8(model, 0, {fnet::Precision::int8, {}});
  CHECK(int8.model().precision() == fnet::Precision::int8);
  fnet::Workspace<float> ws(2);
  std::size_t right_fp32 = 0, right_int8 = 0, same = 0;
  for (std::size_t start = 0; start < texts.size(); start += 64) {
    const std::vector<std::string> chunk(texts.begin() + std::ptrdiff_t(start),
                                         texts.begin() + std::ptrdiff_t(std::min(texts.size(), start + 64)));
    const auto a = fp32.classify(chunk, ws);
    const auto b = int8.classify(chunk, ws);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      right_fp32 += a[i].label_id == labels[start + i];
      right_int8 += b[i].label_id == labels[start + i];
      same += a[i].label_id == b[i].label_id;
    }
  }
  const double n = double(texts.size());
  std::printf("SST-2 dev: fp32 accuracy %.4f, int8 %.4f, labels equal %.2f%%\n", right_fp32 / n, right_int8 / n,
              100.0 * same / n);
  CHECK(right_int8 / n >= right_fp32 / n - 0.005);
  CHECK(same / n >= 0.99);
}
