// One name for the float (fftwf_*) and double (fftw_*) FFTW APIs, so the mixing code is written once.
#pragma once

#include <fftw3.h>

namespace fnet::detail {

template <class Scalar>
struct fftw_api;

template <>
struct fftw_api<float> {
  using plan = fftwf_plan;
  using complex = fftwf_complex;
  static plan plan_r2c_2d(int n0, int n1, float* in, complex* out, unsigned flags) {
    return fftwf_plan_dft_r2c_2d(n0, n1, in, out, flags);
  }
  static void execute_r2c(plan p, float* in, complex* out) { fftwf_execute_dft_r2c(p, in, out); }
  // `howmany` real rows of length n, contiguous, each to its n/2+1 spectrum values.
  static plan plan_r2c_rows(int n, int howmany, float* in, complex* out, unsigned flags) {
    return fftwf_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, n, out, nullptr, 1, n / 2 + 1, flags);
  }
  // `howmany` adjacent complex columns of length n in a row-major array with `stride` columns, in place.
  static plan plan_c2c_columns(int n, int howmany, int stride, complex* data, unsigned flags) {
    return fftwf_plan_many_dft(1, &n, howmany, data, nullptr, stride, 1, data, nullptr, stride, 1, FFTW_FORWARD, flags);
  }
  static void execute_c2c(plan p, complex* in, complex* out) { fftwf_execute_dft(p, in, out); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static void* malloc(std::size_t n) { return fftwf_malloc(n); }
  static void free(void* p) { fftwf_free(p); }
  static int alignment_of(const float* p) { return fftwf_alignment_of(const_cast<float*>(p)); }
  static int import_wisdom(const char* path) { return fftwf_import_wisdom_from_filename(path); }
  static int export_wisdom(const char* path) { return fftwf_export_wisdom_to_filename(path); }
};

template <>
struct fftw_api<double> {
  using plan = fftw_plan;
  using complex = fftw_complex;
  static plan plan_r2c_2d(int n0, int n1, double* in, complex* out, unsigned flags) {
    return fftw_plan_dft_r2c_2d(n0, n1, in, out, flags);
  }
  static void execute_r2c(plan p, double* in, complex* out) { fftw_execute_dft_r2c(p, in, out); }
  // `howmany` real rows of length n, contiguous, each to its n/2+1 spectrum values.
  static plan plan_r2c_rows(int n, int howmany, double* in, complex* out, unsigned flags) {
    return fftw_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, n, out, nullptr, 1, n / 2 + 1, flags);
  }
  // `howmany` adjacent complex columns of length n in a row-major array with `stride` columns, in place.
  static plan plan_c2c_columns(int n, int howmany, int stride, complex* data, unsigned flags) {
    return fftw_plan_many_dft(1, &n, howmany, data, nullptr, stride, 1, data, nullptr, stride, 1, FFTW_FORWARD, flags);
  }
  static void execute_c2c(plan p, complex* in, complex* out) { fftw_execute_dft(p, in, out); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static void* malloc(std::size_t n) { return fftw_malloc(n); }
  static void free(void* p) { fftw_free(p); }
  static int alignment_of(const double* p) { return fftw_alignment_of(const_cast<double*>(p)); }
  static int import_wisdom(const char* path) { return fftw_import_wisdom_from_filename(path); }
  static int export_wisdom(const char* path) { return fftw_export_wisdom_to_filename(path); }
};

}  // namespace fnet::detail
