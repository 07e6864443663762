// The whole model (embeddings → 12 FNet blocks → pooler → classifier) against the independent PyTorch
// reference (tests/reference/fnet_reference.py), on random weights in FNet-base shape with non-trivial
// LayerNorm parameters, batch 3, sequence lengths 8, 128 and 512. Fixtures are generated at test time
// by tests/reference/make_parity_fixtures.py (the reference runs in float64).
//
// Tolerances (max abs error of hidden states, pooled output and logits): 1e-4 float, 1e-9 double.
// Teeth: the same comparison against references with one step broken (no projection, LN before the
// residual, exact-vs-tanh GELU, no token-type embedding) must fail by at least 10x the tolerance.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include <fnet/fnet.hpp>
#include <fnet/models/masked_lm.hpp>

namespace {

const std::string kFixtures = std::string(FNET_TEST_BINARY_DIR) + "/parity";

struct Reference {
  fnet::TokenIds ids, types;
  fnet::detail::SafetensorsFile file;
};

std::vector<double> read_all(const fnet::detail::SafetensorsFile& file, const std::string& name) {
  const auto& info = file.info(name);
  std::int64_t count = 1;
  for (auto d : info.shape) count *= d;
  std::vector<double> out(static_cast<std::size_t>(count));
  file.read<double>(name, info.shape, out.data());
  return out;
}

fnet::TokenIds read_ids(const fnet::detail::SafetensorsFile& file, const std::string& name) {
  const auto& shape = file.info(name).shape;
  const std::vector<double> values = read_all(file, name);
  fnet::TokenIds ids(shape[0], shape[1]);
  for (std::size_t i = 0; i < values.size(); ++i) ids.data()[i] = static_cast<std::int32_t>(values[i]);
  return ids;
}

template <class Scalar, int Rank>
double max_abs_error(const fnet::TensorView<Scalar, Rank>& got, const std::vector<double>& want) {
  REQUIRE(static_cast<std::size_t>(got.size()) == want.size());
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(double(got.data()[i]) - want[i]));
  return worst;
}

template <class Scalar>
const fnet::FNetModel<Scalar>& model() {
  static const fnet::FNetModel<Scalar> m = fnet::load_model<Scalar>(kFixtures + "/model");
  return m;
}

template <class Scalar>
void check_parity(int seq, double tolerance, int threads) {
  const fnet::detail::SafetensorsFile ref(kFixtures + "/seq" + std::to_string(seq) + ".safetensors");
  const fnet::TokenIds ids = read_ids(ref, "input_ids"), types = read_ids(ref, "token_type_ids");
  fnet::Workspace<Scalar> ws(threads);
  const fnet::ModelOutput<Scalar> out = model<Scalar>().forward(ids, types, ws);

  REQUIRE(out.hidden_states.dimension(0) == 3);
  REQUIRE(out.hidden_states.dimension(1) == seq);
  REQUIRE(out.hidden_states.dimension(2) == 768);
  REQUIRE(out.logits.dimension(1) == 3);
  const double hidden_error = max_abs_error(out.hidden_states, read_all(ref, "hidden_states"));
  const double pooled_error = max_abs_error(out.pooled, read_all(ref, "pooled"));
  const double logits_error = max_abs_error(out.logits, read_all(ref, "logits"));
  CAPTURE(seq, threads, hidden_error, pooled_error, logits_error);
  std::printf("%-6s seq %3d, %d thread(s): max abs error hidden %.3g, pooled %.3g, logits %.3g (tolerance %.0e)\n",
              sizeof(Scalar) == 4 ? "float" : "double", seq, threads, hidden_error, pooled_error, logits_error, tolerance);
  CHECK(hidden_error <= tolerance);
  CHECK(pooled_error <= tolerance);
  CHECK(logits_error <= tolerance);

  // Without token types the model must use type 0 everywhere.
  const auto single = model<Scalar>().forward(ids, ws);
  CHECK(max_abs_error(single.hidden_states, read_all(ref, "zero_types.hidden_states")) <= tolerance);

  if (ref.contains("mutation.drop_projection.hidden_states")) {
    const auto again = model<Scalar>().forward(ids, types, ws);
    for (const char* mutation : {"drop_projection", "ln_before_residual", "exact_gelu", "no_token_type"}) {
      const std::string prefix = std::string("mutation.") + mutation;
      const double distance = std::max(max_abs_error(again.hidden_states, read_all(ref, prefix + ".hidden_states")),
                                       max_abs_error(again.logits, read_all(ref, prefix + ".logits")));
      CAPTURE(mutation, distance);
      std::printf("  %-6s seq %3d: distance to the '%s' mutant %.3g\n", sizeof(Scalar) == 4 ? "float" : "double", seq,
                  mutation, distance);
      // A model with that bug would miss the tolerance by at least 10x.
      CHECK(distance > 10 * tolerance);
    }
  }
}

}  // namespace

TEST_CASE("float model matches the PyTorch reference within 1e-4", "[parity]") {
  const int seq = GENERATE(8, 128, 512);
  check_parity<float>(seq, 1e-4, 2);
}

TEST_CASE("double model matches the PyTorch reference within 1e-9", "[parity]") {
  const int seq = GENERATE(8, 128, 512);
  check_parity<double>(seq, 1e-9, 1);
}

TEST_CASE("thread count does not change the float result beyond rounding", "[parity]") {
  const fnet::detail::SafetensorsFile ref(kFixtures + "/seq128.safetensors");
  const fnet::TokenIds ids = read_ids(ref, "input_ids"), types = read_ids(ref, "token_type_ids");
  fnet::Workspace<float> one(1), two(2);
  const auto a = model<float>().forward(ids, types, one);
  const auto b = model<float>().forward(ids, types, two);
  double worst = 0;
  for (Eigen::Index i = 0; i < a.hidden_states.size(); ++i)
    worst = std::max(worst, double(std::abs(a.hidden_states.data()[i] - b.hidden_states.data()[i])));
  CHECK(worst <= 1e-5);
}

TEMPLATE_TEST_CASE("masked-LM head matches the PyTorch reference, tied and untied decoder", "[parity][mlm]", float, double) {
  const double tolerance = sizeof(TestType) == 4 ? 1e-4 : 1e-9;
  for (const char* variant : {"tied", "untied"}) {
    CAPTURE(variant);
    const std::string dir = kFixtures + "/mlm_" + variant;
    const auto model = fnet::FNetForMaskedLM<TestType>::load(dir);
    CHECK(model.tied() == (std::string(variant) == "tied"));
    const fnet::detail::SafetensorsFile ref(dir + "/expected.safetensors");
    const fnet::TokenIds ids = read_ids(ref, "input_ids");
    fnet::Workspace<TestType> ws(2);
    const auto out = model.encoder().forward(ids, ws);
    const Eigen::Index rows = ids.size(), hidden = out.hidden_states.dimension(2);
    const auto logits = model.predict(fnet::ConstMatrixMap<TestType>(out.hidden_states.data(), rows, hidden), ws);
    const fnet::TensorView<TestType, 2> view(logits.data(), logits.rows(), logits.cols());
    const double error = max_abs_error(view, read_all(ref, "prediction_logits"));
    std::printf("%-6s masked-LM (%s decoder): max abs error of prediction logits %.3g\n",
                sizeof(TestType) == 4 ? "float" : "double", variant, error);
    CHECK(error <= tolerance);
  }
}
