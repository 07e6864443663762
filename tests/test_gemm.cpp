// The packed GEMM of every ISA level this CPU supports (generic = Eigen, AVX2, AVX-512), against a
// long-double loop written from the definition y = act(x·Wᵀ + b) + r: every tile shape (row, column
// and depth tails), several passes over k and several blocks of W, strided input rows, 1-4 threads,
// each fused write-back. Bound: |y − ref| ≤ 1e-5 · (Σ_k |x_ik·W_jk| + |b_j|) + 1e-6 · |r_ij| (fp32
// rounding of a k-term dot product is far below it; a dropped or misplaced term is far above it).
// Also: packing round trips, the vector exp/gelu_new against std, and the vector LayerNorm.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
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

std::vector<fnet::Isa> supported_isas() {
  std::vector<fnet::Isa> isas;
  for (fnet::Isa isa : {fnet::Isa::generic, fnet::Isa::avx2, fnet::Isa::avx512})
    if (fnet::cpu::supports(isa)) isas.push_back(isa);
  return isas;
}

long double gelu_tanh(long double v) {
  const long double pi = 3.141592653589793238462643383279502884L;
  return 0.5L * v * (1 + std::tanh(std::sqrt(2 / pi) * (v + 0.044715L * v * v * v)));
}

// x·Wᵀ + b in long double, and the scale of each entry's rounding error Σ_k |x_ik·W_jk| + |b_j|.
struct Reference {
  Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic> sum, scale;
  Reference(const Matrix& x, const Matrix& w, const Eigen::VectorXf& b) : sum(x.rows(), w.rows()), scale(x.rows(), w.rows()) {
    for (Index i = 0; i < x.rows(); ++i)
      for (Index j = 0; j < w.rows(); ++j) {
        long double v = b(j), a = std::fabs(b(j));
        for (Index k = 0; k < x.cols(); ++k) {
          v += static_cast<long double>(x(i, k)) * w(j, k);
          a += std::fabs(static_cast<long double>(x(i, k)) * w(j, k));
        }
        sum(i, j) = v, scale(i, j) = a;
      }
  }
};

// act(x·Wᵀ + b) + r, checked element by element against the bound above; returns the worst ratio
// error / bound (≤ 1 passes).
double worst_error_ratio(const Matrix& y, const Reference& ref, fnet::detail::FusedActivation act, const Matrix* residual) {
  double worst = 0;
  for (Index i = 0; i < y.rows(); ++i)
    for (Index j = 0; j < y.cols(); ++j) {
      long double want = ref.sum(i, j), bound = 1e-5L * ref.scale(i, j);
      if (act == fnet::detail::FusedActivation::gelu_tanh) want = gelu_tanh(want);
      if (act == fnet::detail::FusedActivation::relu) want = want > 0 ? want : 0;
      if (residual) want += (*residual)(i, j), bound += 1e-6L * std::fabs((*residual)(i, j));
      worst = std::max(worst, double(std::fabs(want - y(i, j)) / bound));
    }
  return worst;
}

// y = act(x·Wᵀ + b) + r through the packed kernel of `isa` (the driver's blocking and thread split).
Matrix run_packed(fnet::Isa isa, const Matrix& x, Index ldx, const Matrix& w, const Eigen::VectorXf& b,
                  fnet::detail::FusedActivation act, const Matrix* residual, int threads) {
  const fnet::detail::PackedMatrix<float> packed(w.data(), w.rows(), w.cols(), isa);
  REQUIRE(packed.isa() == isa);
  const fnet::detail::IsaKernels* kernels = fnet::detail::isa_kernels(isa);
  REQUIRE(kernels);
  const Index m = x.rows() , n = w.rows(), k = w.cols();
  // x's rows at stride ldx ≥ k: copy into a wider buffer, the columns past k filled with NaN so that
  // reading past a row's end would show.
  Matrix wide = Matrix::Constant(m, ldx, std::nanf(""));
  wide.leftCols(k) = x;
  Matrix y = Matrix::Constant(m, n, std::nanf(""));  // every output must be written
  fnet::detail::SgemmArgs g;
  g.m = m, g.n = n, g.k = k, g.x = wide.data(), g.ldx = ldx, g.packed = packed.data(), g.y = y.data(), g.ldy = n;
  g.bias = b.data(), g.activation = act;
  if (residual) g.residual = residual->data(), g.ldr = n;
  fnet::detail::run_packed_sgemm(g, *kernels, threads);
  return y;
}

}  // namespace

TEST_CASE("packing round-trips W for every ISA level and pads the last panel with zeros", "[gemm]") {
  for (fnet::Isa isa : supported_isas()) {
    CAPTURE(fnet::to_string(isa));
    for (Index rows : {1, 23, 24, 49, 100}) {
      const Matrix w = random_matrix(rows, 37, unsigned(rows));
      const fnet::detail::PackedMatrix<float> packed(w.data(), rows, 37, isa);
      Matrix back(rows, 37);
      packed.unpack(back.data());
      CHECK(back == w);
      const Index panel = packed.panel_width();
      CHECK(panel == (isa == fnet::Isa::generic ? 0 : fnet::detail::isa_kernels(isa)->tile_cols));
      if (panel) {  // the padded columns of the last panel hold zeros
        const Index last = (rows - 1) / panel;
        for (Index j = rows % panel ? rows % panel : panel; j < panel; ++j)
          for (Index k = 0; k < 37; ++k) CHECK(packed.data()[(last * 37 + k) * panel + j] == 0.0f);
      }
    }
  }
}

TEST_CASE("the packed GEMM of each ISA level matches the definition on every tile shape", "[gemm]") {
  for (fnet::Isa isa : supported_isas()) {
    if (isa == fnet::Isa::generic) continue;  // no packed kernel: Eigen (checked through Linear below)
    const fnet::detail::IsaKernels& kernels = *fnet::detail::isa_kernels(isa);
    const Index mr = kernels.tile_rows, nr = kernels.tile_cols;
    CAPTURE(fnet::to_string(isa), mr, nr);
    // Rows: one, a tile less one, a tile, a tile and one, several tiles and a tail. Columns likewise
    // against the panel width. Depth: 1, odd, and one needing several passes (k > any kc chosen).
    for (Index m : {Index(1), mr - 1, mr, mr + 1, 3 * mr + 2})
      for (Index n : {Index(1), nr - 1, nr, nr + 5, 3 * nr + 7})
        for (Index k : {1, 19, 2600}) {
          if (m == 0 || n == 0) continue;
          if (k == 2600 && (m > mr + 1 || n > nr + 5)) continue;  // the long depth on the small shapes only
          CAPTURE(m, n, k);
          const Matrix x = random_matrix(m, k, 1), w = random_matrix(n, k, 2, 0.2f);
          const Eigen::VectorXf b = random_matrix(n, 1, 3);
          const Matrix y = run_packed(isa, x, k, w, b, fnet::detail::FusedActivation::none, nullptr, 1);
          CHECK(worst_error_ratio(y, Reference(x, w, b), fnet::detail::FusedActivation::none, nullptr) <= 1.0);
        }
  }
}

TEST_CASE("the packed GEMM fuses gelu_new, relu and the residual in that order, on 1-4 threads", "[gemm]") {
  using fnet::detail::FusedActivation;
  // 70 × 1000 × 2000: several passes over k, several blocks of W per thread, 28 MFLOP (threaded).
  const Index m = 70, n = 1000, k = 2000, ldx = 2013;
  const Matrix x = random_matrix(m, k, 4), w = random_matrix(n, k, 5, 0.03f);
  const Eigen::VectorXf b = random_matrix(n, 1, 6);
  const Matrix residual = random_matrix(m, n, 7, 3.0f);
  const Reference reference(x, w, b);
  for (fnet::Isa isa : supported_isas()) {
    if (isa == fnet::Isa::generic) continue;
    for (FusedActivation act : {FusedActivation::none, FusedActivation::gelu_tanh, FusedActivation::relu})
      for (bool with_residual : {false, true})
        for (int threads : {1, 2, 3, 4}) {
          if (!with_residual && threads > 1 && act != FusedActivation::gelu_tanh) continue;
          CAPTURE(fnet::to_string(isa), int(act), with_residual, threads);
          const Matrix* r = with_residual ? &residual : nullptr;
          const Matrix y = run_packed(isa, x, ldx, w, b, act, r, threads);
          CHECK(worst_error_ratio(y, reference, act, r) <= 1.0);
        }
  }
}

TEST_CASE("Linear runs the kernel its weights were packed for, with every fusion, on each ISA level", "[gemm]") {
  const Index m = 21, in = 300, out = 130;
  const Matrix w = random_matrix(out, in, 8, 0.1f), x = random_matrix(m, in, 9), r = random_matrix(m, out, 10);
  const Eigen::VectorXf b = random_matrix(out, 1, 11);
  for (fnet::Isa isa : supported_isas()) {
    fnet::cpu::set_max_isa(isa);
    fnet::Linear<float> linear(in, out);
    linear.set_weight(w);
    linear.bias() = b;
    CHECK(linear.packed_weight().isa() == isa);
    CHECK(linear.weight() == w);
    for (int threads : {1, 2}) {
      fnet::Workspace<float> ws(threads);
      for (auto activation : {fnet::Activation::gelu_new, fnet::Activation::gelu, fnet::Activation::relu}) {
        CAPTURE(fnet::to_string(isa), threads, fnet::to_string(activation));
        Matrix y(m, out);
        fnet::LinearFusion<float> fused{activation, r.data(), out};
        linear(x, fnet::MatrixMap<float>(y.data(), m, out), ws, fused);
        // Reference: act(x·Wᵀ + b) + r in long double.
        double worst = 0;
        for (Index i = 0; i < m; ++i)
          for (Index j = 0; j < out; ++j) {
            long double v = b(j);
            for (Index k = 0; k < in; ++k) v += static_cast<long double>(x(i, k)) * w(j, k);
            if (activation == fnet::Activation::gelu_new) v = gelu_tanh(v);
            if (activation == fnet::Activation::gelu) v = 0.5L * v * (1 + std::erf(v / std::sqrt(2.0L)));
            if (activation == fnet::Activation::relu) v = v > 0 ? v : 0;
            worst = std::max(worst, double(std::fabs(v + r(i, j) - y(i, j))));
          }
        CHECK(worst <= 1e-4);
      }
    }
  }
  fnet::cpu::set_max_isa(fnet::cpu::detected_isa());
}

TEST_CASE("the vector gelu_new of each ISA level follows tanh's definition, tails and extremes included", "[gemm]") {
  // Through a 1 × n GEMM with W = I-like rows: y_j = gelu_new(x_j) exactly when W picks one input.
  std::vector<float> values;
  for (float v = -12.0f; v <= 12.0f; v += 0.0137f) values.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-5f, -1e-5f, 30.0f, -30.0f, 1e4f, -1e4f, 3e38f, -3e38f}) values.push_back(v);
  const Index n = static_cast<Index>(values.size());
  for (fnet::Isa isa : supported_isas()) {
    if (isa == fnet::Isa::generic) continue;
    CAPTURE(fnet::to_string(isa));
    // x (n × 1) times W (n × 1) = 1: each row is one value; n is no multiple of any tile.
    Matrix x(n, 1), w = Matrix::Ones(1, 1);
    for (Index i = 0; i < n; ++i) x(i, 0) = values[std::size_t(i)];
    const Eigen::VectorXf b = Eigen::VectorXf::Zero(1);
    const Matrix y = run_packed(isa, x, 1, w, b, fnet::detail::FusedActivation::gelu_tanh, nullptr, 1);
    double worst = 0;
    for (Index i = 0; i < n; ++i) {
      const long double want = gelu_tanh(values[std::size_t(i)]);
      // Relative to max(|x|, 1e-3): gelu's slope is at most 1.13, so this is the float rounding scale.
      const long double scale = std::max(std::fabs(static_cast<long double>(values[std::size_t(i)])), 1e-3L);
      worst = std::max(worst, double(std::fabs(want - y(i, 0)) / scale));
      CHECK(std::isfinite(y(i, 0)));
    }
    CHECK(worst <= 1e-6);
  }
}

TEST_CASE("the vector LayerNorm of each ISA level, with and without the residual, on row tails", "[gemm]") {
  for (fnet::Isa isa : supported_isas()) {
    fnet::cpu::set_max_isa(isa);
    for (Index n : {1, 7, 16, 17, 40, 768, 771}) {
      CAPTURE(fnet::to_string(isa), n);
      fnet::LayerNorm<float> norm(n, 1e-12);
      norm.weight() = random_matrix(n, 1, 12).array() + 1.0f;
      norm.bias() = random_matrix(n, 1, 13);
      // A large common offset: a one-pass variance would lose digits.
      const Matrix x = (random_matrix(90, n, 14).array() + 30.0f).matrix(), residual = random_matrix(90, n, 15);
      for (bool add : {false, true}) {
        Matrix y = x;
        fnet::Workspace<float> ws(2);
        if (add)
          norm.add_and_normalize(fnet::MatrixMap<float>(y.data(), 90, n), residual.data(), ws);
        else
          norm(fnet::MatrixMap<float>(y.data(), 90, n), ws);
        double worst = 0;
        for (Index i = 0; i < 90; ++i) {
          long double mean = 0, var = 0;
          std::vector<long double> row(static_cast<std::size_t>(n));
          for (Index j = 0; j < n; ++j) row[std::size_t(j)] = x(i, j) + (add ? residual(i, j) : 0.0f), mean += row[std::size_t(j)];
          mean /= n;
          for (long double v : row) var += (v - mean) * (v - mean);
          var /= n;
          for (Index j = 0; j < n; ++j) {
            const long double want = (row[std::size_t(j)] - mean) / std::sqrt(var + 1e-12L) * norm.weight()(j) + norm.bias()(j);
            worst = std::max(worst, double(std::fabs(want - y(i, j))));
          }
        }
        CAPTURE(add);
        CHECK(worst <= (n == 1 ? 1e-4 : 2e-4));
      }
    }
  }
  fnet::cpu::set_max_isa(fnet::cpu::detected_isa());
}

TEST_CASE("ISA levels are named and capped as documented", "[gemm]") {
  CHECK(fnet::cpu::parse_isa("avx2") == fnet::Isa::avx2);
  CHECK_THROWS_AS(fnet::cpu::parse_isa("avx3"), std::invalid_argument);
  CHECK(fnet::cpu::supports(fnet::Isa::generic));
  if (!fnet::cpu::supports(fnet::Isa::avx512)) CHECK_THROWS_AS(fnet::cpu::set_max_isa(fnet::Isa::avx512), std::invalid_argument);
}

TEST_CASE("inside a caller's OpenMP region (inner teams of one) every threaded path still computes everything", "[gemm]") {
  // Nested parallelism is off by default, so a Workspace(4) used from inside a parallel region gets
  // teams of one thread: each stage must then do all the parts it meant to hand out.
  const Index m = 70, in = 2000, out = 1000, seq = 128, hidden = 768;
  const Matrix x = random_matrix(m, in, 20), w = random_matrix(out, in, 21, 0.03f);
  const Matrix tokens = random_matrix(3 * seq, hidden, 22);
  for (fnet::Isa isa : supported_isas()) {
    fnet::cpu::set_max_isa(isa);
    fnet::Linear<float> linear(in, out);
    linear.set_weight(w);
    fnet::LayerNorm<float> norm(hidden, 1e-12);
    const fnet::FourierMixing<float> mixing;
    auto compute = [&](fnet::Workspace<float>& ws) {
      std::vector<Matrix> results;
      Matrix y = Matrix::Constant(m, out, std::nanf(""));  // an output not written stays NaN
      linear(x, fnet::MatrixMap<float>(y.data(), m, out), ws, {fnet::Activation::gelu_new});
      results.push_back(y);
      Matrix normed = tokens;
      norm(fnet::MatrixMap<float>(normed.data(), 3 * seq, hidden), ws);
      results.push_back(normed);
      for (Index batch : {1, 3}) {  // one sequence split over the threads; whole sequences per thread
        Matrix mixed = Matrix::Constant(batch * seq, hidden, std::nanf(""));
        mixing(fnet::ConstMatrixMap<float>(tokens.data(), batch * seq, hidden), batch, seq,
               fnet::MatrixMap<float>(mixed.data(), batch * seq, hidden), ws);
        results.push_back(mixed);
      }
      return results;
    };
    fnet::Workspace<float> serial_ws(1);
    const std::vector<Matrix> expected = compute(serial_ws);
    std::vector<std::vector<Matrix>> got(2);
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
    {
      fnet::Workspace<float> ws(4);
      got[std::size_t(omp_get_thread_num())] = compute(ws);
    }
#else
    fnet::Workspace<float> ws(4);
    got[0] = got[1] = compute(ws);
#endif
    for (const auto& results : got) {
      REQUIRE(results.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(fnet::to_string(isa), i);
        const double scale = expected[i].cwiseAbs().maxCoeff();
        CHECK(results[i].allFinite());
        CHECK((results[i] - expected[i]).cwiseAbs().maxCoeff() <= 1e-5 * scale);
      }
    }
  }
  fnet::cpu::set_max_isa(fnet::cpu::detected_isa());
}

TEST_CASE("a Linear is a value: copies own their packed weights", "[gemm]") {
  fnet::Linear<float> a(40, 30);
  const Matrix w = random_matrix(30, 40, 30);
  a.set_weight(w);
  fnet::Linear<float> b = a;  // copy
  a.set_weight(Matrix::Zero(30, 40));
  CHECK(b.weight() == w);
  CHECK(b.packed_weight().data() != a.packed_weight().data());
  b = a;  // copy-assign
  CHECK(b.weight() == Matrix::Zero(30, 40));
}
