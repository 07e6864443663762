// FourierMixing: FNet's parameter-free token mixing, Y = Re(DFT_seq(DFT_hidden(X))) for each sequence,
// unscaled — exactly torch.fft.fftn(x, dim=(1, 2)).real.
//
// X is real, so its 2D spectrum is Hermitian: F[k, l] = conj(F[−k mod N, −l mod d]). FFTW's r2c
// transform computes only the half spectrum l = 0 … d/2 (about half the work of a complex 2D FFT), and
// the real parts of the other half are read off by symmetry: Re F[k, l] = Re F[(N − k) mod N, d − l].
#pragma once

#include <complex>
#include <stdexcept>
#include <string>

#include "fnet/detail/fftw_plan_cache.hpp"
#include "fnet/tensor.hpp"
#include "fnet/workspace.hpp"

namespace fnet {

template <class Scalar>
class FourierMixing {
  using api = detail::fftw_api<Scalar>;

 public:
  // y = Re(DFT2(x)) for each of `batch` sequences of length `seq`; x and y are (batch·seq, hidden)
  // row-major and must not alias. Sequences are spread over the workspace's threads.
  void operator()(ConstMatrixMap<Scalar> x, Index batch, Index seq, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const {
    const Index hidden = x.cols();
    if (x.rows() != batch * seq || y.rows() != x.rows() || y.cols() != hidden)
      throw std::invalid_argument("FourierMixing: expected x and y of shape (" + std::to_string(batch * seq) + ", " +
                                  std::to_string(hidden) + ")");
    const Index spectrum = seq * (hidden / 2 + 1);  // complex values per sequence
    // Round each thread's slice to a multiple of 8 scalars so every slice keeps the buffer's alignment.
    const Index slice = (2 * spectrum + 7) / 8 * 8;
#ifdef _OPENMP
    const int threads = static_cast<int>(std::min<Index>(ws.threads(), batch));
#else
    const int threads = 1;
#endif
    Scalar* scratch = ws.data(Buffer::scratch, slice * threads);
    auto run = [&](Index b, int t) {
      transform_one(x.data() + b * seq * hidden, seq, hidden, y.data() + b * seq * hidden,
                    reinterpret_cast<std::complex<Scalar>*>(scratch + t * slice));
    };
    if (threads == 1) {  // stay out of OpenMP: even a one-thread parallel region allocates
      for (Index b = 0; b < batch; ++b) run(b, 0);
      return;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
    for (Index b = 0; b < batch; ++b) run(b, omp_get_thread_num());
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
  static void transform_one(const Scalar* x, Index seq, Index hidden, Scalar* y, std::complex<Scalar>* spectrum) {
    auto* in = const_cast<Scalar*>(x);  // FFTW's signature is non-const; plans are made with FFTW_PRESERVE_INPUT
    auto* out = reinterpret_cast<typename api::complex*>(spectrum);
    const bool aligned = api::alignment_of(in) == 0 && api::alignment_of(reinterpret_cast<Scalar*>(out)) == 0;
    const auto plan = detail::FftwPlanCache<Scalar>::instance().get(static_cast<int>(seq), static_cast<int>(hidden), aligned);
    api::execute_r2c(plan, in, out);

    const Index half = hidden / 2 + 1;
    for (Index k = 0; k < seq; ++k) {
      const std::complex<Scalar>* row = spectrum + k * half;
      const std::complex<Scalar>* mirror = spectrum + ((seq - k) % seq) * half;  // row −k mod N
      Scalar* out_row = y + k * hidden;
      for (Index l = 0; l < half; ++l) out_row[l] = row[l].real();
      for (Index l = half; l < hidden; ++l) out_row[l] = mirror[hidden - l].real();
    }
  }
};

}  // namespace fnet
