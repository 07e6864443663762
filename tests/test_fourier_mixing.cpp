// FourierMixing against a direct DFT in long double (no FFT algorithm involved).
//
// Error measure: max |y − y_ref| / max |y_ref| over the whole output (the DFT's outputs have very
// different magnitudes, so an element-wise relative error would be meaningless near zero).
// Tolerances: 1e-5 for float, 1e-12 for double.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include <fnet/fnet.hpp>

namespace {

using LongMatrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Twiddles e^{−2πi·j/n} for j = 0 … n−1 in long double; indices are reduced mod n before use, so the
// angles never grow and lose precision.
std::vector<std::complex<long double>> twiddles(Eigen::Index n) {
  const long double pi = 3.141592653589793238462643383279502884L;
  std::vector<std::complex<long double>> w(static_cast<std::size_t>(n));
  for (Eigen::Index j = 0; j < n; ++j) w[std::size_t(j)] = std::polar(1.0L, -2.0L * pi * (long double)j / (long double)n);
  return w;
}

// Re(DFT over rows and columns) computed as two direct O(n²) passes: O(N·d·(N + d)) in total.
LongMatrix direct_dft_real(const LongMatrix& x) {
  const Eigen::Index n = x.rows(), d = x.cols();
  const auto wd = twiddles(d), wn = twiddles(n);
  std::vector<std::complex<long double>> rows(std::size_t(n * d)), full(std::size_t(n * d));
  for (Eigen::Index r = 0; r < n; ++r)
    for (Eigen::Index l = 0; l < d; ++l) {
      std::complex<long double> acc = 0;
      for (Eigen::Index m = 0; m < d; ++m) acc += x(r, m) * wd[std::size_t((l * m) % d)];
      rows[std::size_t(r * d + l)] = acc;
    }
  LongMatrix y(n, d);
  for (Eigen::Index k = 0; k < n; ++k)
    for (Eigen::Index l = 0; l < d; ++l) {
      std::complex<long double> acc = 0;
      for (Eigen::Index r = 0; r < n; ++r) acc += rows[std::size_t(r * d + l)] * wn[std::size_t((k * r) % n)];
      y(k, l) = acc.real();
    }
  return y;
}

// The textbook O(N²d²) double sum, used to cross-check direct_dft_real on small shapes.
LongMatrix naive_dft_real(const LongMatrix& x) {
  const long double pi = 3.141592653589793238462643383279502884L;
  const Eigen::Index n = x.rows(), d = x.cols();
  LongMatrix y = LongMatrix::Zero(n, d);
  for (Eigen::Index k = 0; k < n; ++k)
    for (Eigen::Index l = 0; l < d; ++l)
      for (Eigen::Index r = 0; r < n; ++r)
        for (Eigen::Index m = 0; m < d; ++m)
          y(k, l) += x(r, m) * std::cos(2.0L * pi * ((long double)((k * r) % n) / n + (long double)((l * m) % d) / d));
  return y;
}

LongMatrix random_input(Eigen::Index n, Eigen::Index d, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  LongMatrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = dist(gen);
  return x;
}

template <class Scalar>
long double relative_error(const fnet::RowMatrix<Scalar>& y, const LongMatrix& ref) {
  const long double scale = std::max(ref.cwiseAbs().maxCoeff(), 1e-30L);
  return (y.template cast<long double>() - ref).cwiseAbs().maxCoeff() / scale;
}

// Runs FourierMixing on `batch` copies-with-offsets of x in one call (so later sequences sit at
// offsets that are not SIMD-aligned for odd shapes) and returns each sequence's error.
template <class Scalar>
long double batched_error(const LongMatrix& x, int batch, int threads,
                          fnet::Index split_threshold = fnet::FourierMixing<Scalar>::kDefaultSplitThreshold) {
  const Eigen::Index n = x.rows(), d = x.cols();
  fnet::RowMatrix<Scalar> in(batch * n, d), out(batch * n, d);
  for (int b = 0; b < batch; ++b) in.middleRows(b * n, n) = (x.array() * (long double)(b + 1)).matrix().template cast<Scalar>();
  fnet::Workspace<Scalar> ws(threads);
  const fnet::FourierMixing<Scalar> mix(split_threshold);
  mix(fnet::ConstMatrixMap<Scalar>(in.data(), in.rows(), d), batch, n,
      fnet::MatrixMap<Scalar>(out.data(), out.rows(), d), ws);
  long double worst = 0;
  for (int b = 0; b < batch; ++b) {
    const LongMatrix scaled = in.middleRows(b * n, n).template cast<long double>();
    worst = std::max(worst, relative_error<Scalar>(out.middleRows(b * n, n), direct_dft_real(scaled)));
  }
  return worst;
}

}  // namespace

TEST_CASE("the direct DFT reference agrees with the textbook double sum", "[fourier][reference]") {
  for (auto [n, d] : {std::pair{1, 1}, {7, 5}, {4, 6}, {13, 17}}) {
    const LongMatrix x = random_input(n, d, 7);
    CHECK((direct_dft_real(x) - naive_dft_real(x)).cwiseAbs().maxCoeff() < 1e-15L);
  }
}

TEST_CASE("FourierMixing equals Re(DFT_seq(DFT_hidden(x)))", "[fourier]") {
  const auto [n, d] = GENERATE(table<int, int>({{1, 1}, {1, 768}, {7, 5}, {13, 17}, {128, 64}, {512, 768}, {6, 1}, {2, 8}}));
  CAPTURE(n, d);
  const LongMatrix x = random_input(n, d, unsigned(n * 1000 + d));
  const LongMatrix ref = direct_dft_real(x);
  const fnet::RowMatrix<float> yf = fnet::FourierMixing<float>()(fnet::RowMatrix<float>(x.cast<float>()));
  const fnet::RowMatrix<double> yd = fnet::FourierMixing<double>()(fnet::RowMatrix<double>(x.cast<double>()));
  // Compare each precision against the reference of *its own* rounded input, so the bound measures
  // the transform and not the rounding of x.
  CHECK(relative_error<float>(yf, direct_dft_real(x.cast<float>().cast<long double>())) <= 1e-5L);
  CHECK(relative_error<double>(yd, ref) <= 1e-12L);
}

TEST_CASE("FourierMixing over a batch, unaligned offsets and two threads", "[fourier]") {
  const auto [n, d] = GENERATE(table<int, int>({{7, 5}, {13, 17}, {128, 64}, {3, 1}}));
  CAPTURE(n, d);
  const LongMatrix x = random_input(n, d, 99);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    CHECK(batched_error<float>(x, 3, threads) <= 1e-5L);
    CHECK(batched_error<double>(x, 3, threads) <= 1e-12L);
  }
}

TEST_CASE("FourierMixing with fewer sequences than threads splits each sequence over the threads", "[fourier]") {
  // Split threshold 0 forces the split path on every shape, including those with fewer rows or
  // half-spectrum columns than threads (some threads get no rows or no columns) and odd shapes whose
  // row blocks start unaligned.
  const auto [n, d] = GENERATE(table<int, int>({{1, 1}, {3, 1}, {2, 8}, {7, 5}, {13, 17}, {64, 96}, {1, 768}, {40, 768}}));
  CAPTURE(n, d);
  const LongMatrix x = random_input(n, d, unsigned(n * 31 + d));
  for (int threads : {2, 3, 4}) {
    for (int batch : {1, threads - 1}) {
      CAPTURE(threads, batch);
      CHECK(batched_error<float>(x, batch, threads, 0) <= 1e-5L);
      CHECK(batched_error<double>(x, batch, threads, 0) <= 1e-12L);
    }
  }
}

TEST_CASE("the split and whole-sequence paths agree to rounding on FNet-base's shape", "[fourier]") {
  const fnet::RowMatrix<float> x = fnet::RowMatrix<float>::Random(512, 768);
  fnet::RowMatrix<float> whole(512, 768), split(512, 768);
  fnet::Workspace<float> one(1), two(2);
  const fnet::FourierMixing<float> mix;  // default threshold: 512×768 is split on 2 threads
  const fnet::ConstMatrixMap<float> in(x.data(), 512, 768);
  mix(in, 1, 512, fnet::MatrixMap<float>(whole.data(), 512, 768), one);
  const std::size_t plans = fnet::fft::cached_plan_count();
  mix(in, 1, 512, fnet::MatrixMap<float>(split.data(), 512, 768), two);
  CHECK(fnet::fft::cached_plan_count() > plans);  // the 1D row and column plans: the split path really ran
  const float scale = whole.cwiseAbs().maxCoeff();
  CHECK((whole - split).cwiseAbs().maxCoeff() <= 1e-5f * scale);
}

TEST_CASE("plans are cached per shape", "[fourier]") {
  fnet::FourierMixing<float> mix;
  const fnet::RowMatrix<float> x = fnet::RowMatrix<float>::Random(24, 40);
  const fnet::RowMatrix<float> first = mix(x);
  const std::size_t plans = fnet::fft::cached_plan_count();
  const fnet::RowMatrix<float> second = mix(x);
  CHECK(fnet::fft::cached_plan_count() == plans);
  CHECK(first == second);  // same plan, same input: bit-identical
  mix(fnet::RowMatrix<float>(fnet::RowMatrix<float>::Random(24, 41)));
  CHECK(fnet::fft::cached_plan_count() == plans + 1);
}

TEST_CASE("MEASURE planning gives the same transform", "[fourier]") {
  const LongMatrix x = random_input(16, 24, 5);
  fnet::fft::clear_plan_cache();
  fnet::fft::set_planner_rigor(fnet::fft::PlannerRigor::Measure);
  const fnet::RowMatrix<double> y = fnet::FourierMixing<double>()(fnet::RowMatrix<double>(x.cast<double>()));
  fnet::fft::set_planner_rigor(fnet::fft::PlannerRigor::Estimate);
  CHECK(relative_error<double>(y, direct_dft_real(x)) <= 1e-12L);
}

TEST_CASE("FFTW wisdom round-trips through files", "[fourier]") {
  const std::string path = std::string(FNET_TEST_BINARY_DIR) + "/fnet_wisdom";
  fnet::FourierMixing<float>()(fnet::RowMatrix<float>(fnet::RowMatrix<float>::Random(8, 12)));
  fnet::fft::export_wisdom(path);
  CHECK(fnet::fft::import_wisdom(path));
  CHECK_FALSE(fnet::fft::import_wisdom(path + ".does-not-exist"));
  CHECK_THROWS_AS(fnet::fft::export_wisdom("/nonexistent-dir/wisdom"), fnet::io_error);
}
