// FourierMixing: FNet's parameter-free token mixing, Y = Re(DFT_seq(DFT_hidden(X))) for each sequence,
// unscaled — exactly torch.fft.fftn(x, dim=(1, 2)).real.
//
// X is real, so its 2D spectrum is Hermitian: F[k, l] = conj(F[−k mod N, −l mod d]). FFTW's r2c
// transform computes only the half spectrum l = 0 … d/2 (about half the work of a complex 2D FFT), and
// the real parts of the other half are read off by symmetry: Re F[k, l] = Re F[(N − k) mod N, d − l].
//
// Threads: with at least as many sequences as threads, each thread transforms whole sequences. With
// fewer (batch 1 is the common case in serving), each sequence is split over all threads in the two
// stages the 2D transform factors into — rows (r2c over hidden), then columns of the half spectrum
// (c2c over seq) — with barriers between the stages.
#pragma once

#include <algorithm>
#include <complex>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "fnet/detail/fftw_plan_cache.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"

namespace fnet {

template <class Scalar>
class FourierMixing {
  using api = detail::fftw_api<Scalar>;
  using cache = detail::FftwPlanCache<Scalar>;
  using Complex = std::complex<Scalar>;

 public:
  // Sequences smaller than this (seq·hidden) are never split over threads, where waking the threads
  // and three barriers would eat the gain (docs/benchmarks.md: the smallest split shapes, 64×512 and
  // 128×256, still run 1.4–1.5× faster on 2 threads).
  static constexpr Index kDefaultSplitThreshold = 32768;

  explicit FourierMixing(Index split_threshold = kDefaultSplitThreshold) : split_threshold_(split_threshold) {}

  // y = Re(DFT2(x)) for each of `batch` sequences of length `seq`; x and y are (batch·seq, hidden)
  // row-major and must not alias.
  void operator()(ConstMatrixMap<Scalar> x, Index batch, Index seq, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const {
    const Index hidden = x.cols();
    if (x.rows() != batch * seq || y.rows() != x.rows() || y.cols() != hidden)
      throw std::invalid_argument("FourierMixing: expected x and y of shape (" + std::to_string(batch * seq) + ", " +
                                  std::to_string(hidden) + ")");
    const Index spectrum = seq * (hidden / 2 + 1);  // complex values per sequence
    // Round each thread's slice to a multiple of 8 scalars so every slice keeps the buffer's alignment.
    const Index slice = (2 * spectrum + 7) / 8 * 8;
#ifdef _OPENMP
    const int threads = ws.threads();
#else
    const int threads = 1;
#endif
    if (threads > 1 && batch < threads && seq * hidden >= split_threshold_) {
      auto* scratch = reinterpret_cast<Complex*>(ws.data(Buffer::scratch, slice));
      for (Index b = 0; b < batch; ++b)
        transform_split(x.data() + b * seq * hidden, seq, hidden, y.data() + b * seq * hidden, scratch, threads);
      return;
    }
    const int sequence_threads = static_cast<int>(std::min<Index>(threads, batch));
    Scalar* scratch = ws.data(Buffer::scratch, slice * sequence_threads);
    auto run = [&](Index b, int t) {
      transform_whole(x.data() + b * seq * hidden, seq, hidden, y.data() + b * seq * hidden,
                      reinterpret_cast<Complex*>(scratch + t * slice));
    };
    if (sequence_threads <= 1) {  // stay out of OpenMP: even a one-thread parallel region allocates
      for (Index b = 0; b < batch; ++b) run(b, 0);
      return;
    }
#ifdef _OPENMP
    ParallelFailure failure;
    // A plain parallel region, not `parallel for`: LLVM's libomp allocates in every worksharing loop.
#pragma omp parallel num_threads(sequence_threads)
    {
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      for (Index b = batch * t / team; b < batch * (t + 1) / team; ++b) failure.guard([&] { run(b, t); });
    }
    failure.rethrow();
#endif
  }

  // Convenience for one sequence (allocates; use the Workspace overload in loops).
  RowMatrix<Scalar> operator()(const RowMatrix<Scalar>& x) const {
    RowMatrix<Scalar> y(x.rows(), x.cols());
    Workspace<Scalar> ws;
    (*this)(ConstMatrixMap<Scalar>(x.data(), x.rows(), x.cols()), 1, x.rows(), MatrixMap<Scalar>(y.data(), y.rows(), y.cols()), ws);
    return y;
  }

 private:
  // Planning can throw (bad_alloc, an FFTW failure); an exception must not leave an OpenMP region, so
  // each thread's work is guarded and the first exception is rethrown by the calling thread.
  class ParallelFailure {
   public:
    template <class Work>
    void guard(Work&& work) {
      try {
        work();
      } catch (...) {
#ifdef _OPENMP
#pragma omp critical(fnet_fourier_mixing_failure)
#endif
        if (!first_) first_ = std::current_exception();
      }
    }
    void rethrow() const {
      if (first_) std::rethrow_exception(first_);
    }

   private:
    std::exception_ptr first_;
  };

  static bool aligned(const void* a, const void* b) {
    return api::alignment_of(static_cast<const Scalar*>(a)) == 0 && api::alignment_of(static_cast<const Scalar*>(b)) == 0;
  }
  static auto* fftw(Complex* p) { return reinterpret_cast<typename api::complex*>(p); }
  static Scalar* fftw(const Scalar* p) { return const_cast<Scalar*>(p); }  // plans are made with FFTW_PRESERVE_INPUT

  // One sequence, one thread: the 2D r2c plan, then the real parts of the full spectrum.
  static void transform_whole(const Scalar* x, Index seq, Index hidden, Scalar* y, Complex* spectrum) {
    const auto plan = cache::instance().get(static_cast<int>(seq), static_cast<int>(hidden), aligned(x, spectrum));
    api::execute_r2c(plan, fftw(x), fftw(spectrum));
    copy_real_half(spectrum, hidden, 0, seq, y);
    mirror_other_half(seq, hidden, 0, seq, y);
  }

  // One sequence over `threads` threads. Stage 1: each thread r2c-transforms a block of rows. Stage 2:
  // each thread c2c-transforms a block of the half spectrum's columns, in place. Stage 3: each thread
  // writes the real parts for its rows, then (after a barrier: they read other threads' rows) the
  // mirrored half.
  static void transform_split(const Scalar* x, Index seq, Index hidden, Scalar* y, Complex* spectrum, int threads) {
#ifdef _OPENMP
    const Index half = hidden / 2 + 1;
    ParallelFailure failure;
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      // Plain variables, not structured bindings: C++17 lambdas cannot capture those (clang rejects it).
      const std::pair<Index, Index> rows = block(seq, 1, t, team);
      const Index row_begin = rows.first, row_end = rows.second;
      failure.guard([&] {
        if (row_end == row_begin) return;
        const Scalar* in = x + row_begin * hidden;
        Complex* out = spectrum + row_begin * half;
        const auto plan = cache::instance().get_rows(static_cast<int>(hidden), static_cast<int>(row_end - row_begin), aligned(in, out));
        api::execute_r2c(plan, fftw(in), fftw(out));
      });
#pragma omp barrier
      // Column blocks start at multiples of 8 columns, so each block keeps the buffer's SIMD alignment.
      const std::pair<Index, Index> columns_share = block(half, 8, t, team);
      const Index column_begin = columns_share.first, column_end = columns_share.second;
      failure.guard([&] {
        if (column_end == column_begin) return;
        Complex* columns = spectrum + column_begin;
        const auto plan = cache::instance().get_columns(static_cast<int>(seq), static_cast<int>(column_end - column_begin),
                                                        static_cast<int>(half), aligned(columns, columns));
        api::execute_c2c(plan, fftw(columns), fftw(columns));
      });
#pragma omp barrier
      copy_real_half(spectrum, hidden, row_begin, row_end, y);
#pragma omp barrier
      mirror_other_half(seq, hidden, row_begin, row_end, y);
    }
    failure.rethrow();
#else
    (void)threads;
    transform_whole(x, seq, hidden, y, spectrum);
#endif
  }

  // Thread t's share [begin, end) of n items handed out in blocks of `grain`.
  static std::pair<Index, Index> block(Index n, Index grain, int t, int team) {
    const Index blocks = (n + grain - 1) / grain;
    return {std::min(n, blocks * t / team * grain), std::min(n, blocks * (t + 1) / team * grain)};
  }

  // y[k, l] = Re F[k, l] for l ≤ hidden/2 and rows k in [row_begin, row_end), from the half spectrum
  // (rows of hidden/2 + 1 complex values, read as interleaved real/imaginary scalars).
  static void copy_real_half(const Complex* spectrum, Index hidden, Index row_begin, Index row_end, Scalar* y) {
    const Index half = hidden / 2 + 1;
    for (Index k = row_begin; k < row_end; ++k) {
      const Scalar* row = reinterpret_cast<const Scalar*>(spectrum + k * half);
      Scalar* out_row = y + k * hidden;
      for (Index l = 0; l < half; ++l) out_row[l] = row[2 * l];
    }
  }

  // The other half by Hermitian symmetry, y[k, l] = y[(N − k) mod N, hidden − l] for l > hidden/2: a
  // reversed contiguous copy from the real halves already in y (faster than a second strided pass over
  // the spectrum). Reads only columns ≤ hidden/2 and writes only columns above, so rows never overlap.
  static void mirror_other_half(Index seq, Index hidden, Index row_begin, Index row_end, Scalar* y) {
    const Index half = hidden / 2 + 1;
    for (Index k = row_begin; k < row_end; ++k) {
      const Scalar* mirror = y + ((seq - k) % seq) * hidden;  // row −k mod N
      Scalar* out_row = y + k * hidden;
      for (Index l = half; l < hidden; ++l) out_row[l] = mirror[hidden - l];
    }
  }

  Index split_threshold_;
};

}  // namespace fnet
