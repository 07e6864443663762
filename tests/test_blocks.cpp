// The building blocks on their own, each against a naive long-double computation written from the
// definitions: Linear, LayerNorm, the three activations, FeedForward, EncoderBlock (with FourierMixing
// and with a user-supplied mixing). Max abs error bounds: 1e-5 float, 1e-12 double (inputs O(1)).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>

#include <fnet/fnet.hpp>

namespace {

using Long = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class Scalar>
constexpr double tolerance() {
  return sizeof(Scalar) == 4 ? 1e-5 : 1e-12;
}

template <class Scalar>
fnet::RowMatrix<Scalar> random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed, double scale = 1.0) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist(0.0, scale);
  fnet::RowMatrix<Scalar> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = Scalar(dist(gen));
  return m;
}

template <class Scalar>
void randomize(fnet::Linear<Scalar>& linear, unsigned seed) {
  linear.set_weight(random_matrix<Scalar>(linear.out_features(), linear.in_features(), seed, 0.1));
  linear.bias() = random_matrix<Scalar>(linear.out_features(), 1, seed + 1, 0.1);
}

template <class Scalar>
void randomize(fnet::LayerNorm<Scalar>& norm, Eigen::Index n, unsigned seed) {
  norm.weight() = (random_matrix<Scalar>(n, 1, seed, 0.2).array() + Scalar(1)).matrix();
  norm.bias() = random_matrix<Scalar>(n, 1, seed + 1, 0.1);
}

template <class Scalar>
Long to_long(const Eigen::MatrixBase<Scalar>& m) {
  return m.template cast<long double>();
}

Long naive_linear(const Long& x, const Long& w, const Long& b) {
  Long y(x.rows(), w.rows());
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index o = 0; o < w.rows(); ++o) {
      long double acc = b(o, 0);
      for (Eigen::Index i = 0; i < x.cols(); ++i) acc += x(r, i) * w(o, i);
      y(r, o) = acc;
    }
  return y;
}

Long naive_layer_norm(const Long& x, const Long& gamma, const Long& beta, long double eps) {
  Long y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    long double mean = 0, var = 0;
    for (Eigen::Index c = 0; c < x.cols(); ++c) mean += x(r, c);
    mean /= x.cols();
    for (Eigen::Index c = 0; c < x.cols(); ++c) var += (x(r, c) - mean) * (x(r, c) - mean);
    var /= x.cols();
    for (Eigen::Index c = 0; c < x.cols(); ++c) y(r, c) = (x(r, c) - mean) / std::sqrt(var + eps) * gamma(c, 0) + beta(c, 0);
  }
  return y;
}

long double naive_activation(fnet::Activation a, long double v) {
  const long double pi = 3.141592653589793238462643383279502884L;
  switch (a) {
    case fnet::Activation::gelu_new: return 0.5L * v * (1 + std::tanh(std::sqrt(2 / pi) * (v + 0.044715L * v * v * v)));
    case fnet::Activation::gelu: return 0.5L * v * (1 + std::erf(v / std::sqrt(2.0L)));
    case fnet::Activation::relu: return v > 0 ? v : 0;
  }
  return 0;
}

template <class Scalar>
double max_error(const fnet::RowMatrix<Scalar>& got, const Long& want) {
  return double((got.template cast<long double>() - want).cwiseAbs().maxCoeff());
}

// A mixing the library does not know: y = 2x. Shows EncoderBlock hosts any Mixing.
template <class Scalar>
struct DoubleMixing {
  void operator()(fnet::ConstMatrixMap<Scalar> x, Eigen::Index, Eigen::Index, fnet::MatrixMap<Scalar> y,
                  fnet::Workspace<Scalar>&) const {
    y = 2 * x;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("Linear is x·Wᵀ + b, single- and multi-threaded", "[blocks]", float, double) {
  fnet::Linear<TestType> linear(70, 300);
  randomize(linear, 1);
  const fnet::RowMatrix<TestType> x = random_matrix<TestType>(33, 70, 2);
  const Long want = naive_linear(to_long(x), to_long(linear.weight()), to_long(linear.bias()));
  for (int threads : {1, 2}) {
    fnet::Workspace<TestType> ws(threads);
    fnet::RowMatrix<TestType> y(33, 300);
    linear(x, fnet::MatrixMap<TestType>(y.data(), 33, 300), ws);
    CAPTURE(threads);
    CHECK(max_error(y, want) <= tolerance<TestType>());
  }
}

TEMPLATE_TEST_CASE("LayerNorm normalises each row with the biased variance", "[blocks]", float, double) {
  fnet::LayerNorm<TestType> norm(48, 1e-12);
  randomize(norm, 48, 3);
  // A large common offset: a one-pass variance would lose digits here.
  fnet::RowMatrix<TestType> x = (random_matrix<TestType>(9, 48, 4).array() + TestType(30)).matrix();
  const Long want = naive_layer_norm(to_long(x), to_long(norm.weight()), to_long(norm.bias()), 1e-12L);
  norm(fnet::MatrixMap<TestType>(x.data(), 9, 48));
  CHECK(max_error(x, want) <= 10 * tolerance<TestType>());
}

TEMPLATE_TEST_CASE("activations follow their definitions", "[blocks]", float, double) {
  const auto activation = GENERATE(fnet::Activation::gelu_new, fnet::Activation::gelu, fnet::Activation::relu);
  CAPTURE(fnet::to_string(activation));
  fnet::RowMatrix<TestType> x = random_matrix<TestType>(5, 200, 5, 3.0);
  Long want = to_long(x);
  for (Eigen::Index i = 0; i < want.size(); ++i) want.data()[i] = naive_activation(activation, want.data()[i]);
  fnet::apply_activation(activation, fnet::MatrixMap<TestType>(x.data(), 5, 200));
  CHECK(max_error(x, want) <= tolerance<TestType>());
}

TEST_CASE("gelu and gelu_new differ, so a mix-up is visible", "[blocks]") {
  fnet::RowMatrix<double> a(1, 1), b(1, 1);
  a(0, 0) = b(0, 0) = 1.5;
  fnet::apply_activation(fnet::Activation::gelu, fnet::MatrixMap<double>(a.data(), 1, 1));
  fnet::apply_activation(fnet::Activation::gelu_new, fnet::MatrixMap<double>(b.data(), 1, 1));
  CHECK(std::abs(a(0, 0) - b(0, 0)) > 1e-4);
}

TEMPLATE_TEST_CASE("FeedForward is dense → activation → dense", "[blocks]", float, double) {
  const auto activation = GENERATE(fnet::Activation::gelu_new, fnet::Activation::gelu, fnet::Activation::relu);
  fnet::FeedForward<TestType> ff(32, 96, activation);
  randomize(ff.expand(), 6);
  randomize(ff.contract(), 8);
  const fnet::RowMatrix<TestType> x = random_matrix<TestType>(11, 32, 9);
  Long inner = naive_linear(to_long(x), to_long(ff.expand().weight()), to_long(ff.expand().bias()));
  for (Eigen::Index i = 0; i < inner.size(); ++i) inner.data()[i] = naive_activation(activation, inner.data()[i]);
  const Long want = naive_linear(inner, to_long(ff.contract().weight()), to_long(ff.contract().bias()));
  fnet::Workspace<TestType> ws;
  fnet::RowMatrix<TestType> y(11, 32);
  ff(fnet::ConstMatrixMap<TestType>(x.data(), 11, 32), fnet::MatrixMap<TestType>(y.data(), 11, 32), ws);
  CAPTURE(fnet::to_string(activation));
  CHECK(max_error(y, want) <= tolerance<TestType>());
}

TEMPLATE_TEST_CASE("EncoderBlock hosts any mixing: LN(h + FF(h)), h = LN(x + mix(x))", "[blocks]", float, double) {
  const Eigen::Index hidden = 16, inner = 40, seq = 6, batch = 2;
  fnet::EncoderBlock<TestType, DoubleMixing<TestType>> block({}, hidden, inner, fnet::Activation::gelu_new, 1e-12);
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> seen;
  unsigned seed = 20;
  block.visit_parameters("layer", [&](const fnet::ParameterRef<TestType>& p) {
    seen.emplace_back(p.name, p.shape);
    std::int64_t n = 1;
    for (auto d : p.shape) n *= d;
    const auto values = random_matrix<TestType>(n, 1, seed++, 0.2);
    const bool gain = p.name.find("LayerNorm.weight") != std::string::npos;
    for (std::int64_t i = 0; i < n; ++i) p.data[i] = values(i, 0) + (gain ? TestType(1) : TestType(0));
  });
  REQUIRE(seen.size() == 8);
  CHECK(seen[0].first == "layer.fourier.output.LayerNorm.weight");
  CHECK(seen[2].first == "layer.intermediate.dense.weight");
  CHECK(seen[2].second == std::vector<std::int64_t>{inner, hidden});
  CHECK(seen[7].first == "layer.output.LayerNorm.bias");

  // Recover the parameters through a second visit to build the naive reference.
  std::map<std::string, Long> p;
  block.visit_parameters("layer", [&](const fnet::ParameterRef<TestType>& r) {
    const Eigen::Index rows = r.shape[0], cols = r.shape.size() > 1 ? r.shape[1] : 1;
    p[r.name] = Eigen::Map<const fnet::RowMatrix<TestType>>(r.data, rows, cols).template cast<long double>();
  });
  fnet::RowMatrix<TestType> x = random_matrix<TestType>(batch * seq, hidden, 30);
  const Long h = naive_layer_norm(3 * to_long(x), p["layer.fourier.output.LayerNorm.weight"],
                                  p["layer.fourier.output.LayerNorm.bias"], 1e-12L);
  Long ff = naive_linear(h, p["layer.intermediate.dense.weight"], p["layer.intermediate.dense.bias"]);
  for (Eigen::Index i = 0; i < ff.size(); ++i) ff.data()[i] = naive_activation(fnet::Activation::gelu_new, ff.data()[i]);
  ff = naive_linear(ff, p["layer.output.dense.weight"], p["layer.output.dense.bias"]);
  const Long want = naive_layer_norm(h + ff, p["layer.output.LayerNorm.weight"], p["layer.output.LayerNorm.bias"], 1e-12L);

  fnet::Workspace<TestType> ws;
  block(fnet::MatrixMap<TestType>(x.data(), batch * seq, hidden), batch, seq, ws);
  CHECK(max_error(x, want) <= 10 * tolerance<TestType>());
}
