// Process-wide cache of FFTW plans for FourierMixing, one per (shape, scalar type, alignment): the 2D
// real-to-complex transform of a whole sequence, and — for one sequence split over several threads —
// the two 1D stages it factors into (rows real-to-complex, then columns of the half spectrum).
// FFTW's planner is not thread-safe, so every planner call (create, destroy, wisdom) happens under one
// mutex; executing a plan is thread-safe, and the new-array execute lets one cached plan serve any
// buffers of the same alignment on any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

#include "fnet/detail/fftw_api.hpp"
#include "fnet/error.hpp"

namespace fnet::detail {

inline std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

inline std::atomic<unsigned>& fftw_planner_rigor_flag() {
  static std::atomic<unsigned> flag{FFTW_ESTIMATE};
  return flag;
}

template <class Scalar>
class FftwPlanCache {
  using api = fftw_api<Scalar>;

 public:
  using plan = typename api::plan;

  static FftwPlanCache& instance() {
    static FftwPlanCache cache;
    return cache;
  }

  // For every kind: `aligned` plans need every buffer SIMD-aligned (fftw_alignment_of == 0); the
  // unaligned variant accepts any buffers.
  //
  // Out-of-place r2c 2D transform of a rows x cols row-major array into rows x (cols/2 + 1) values.
  plan get(int rows, int cols, bool aligned) { return find_or_make({Kind::r2c_2d, rows, cols, 0, aligned}); }

  // Out-of-place r2c 1D transforms of `howmany` contiguous rows of length n.
  plan get_rows(int n, int howmany, bool aligned) { return find_or_make({Kind::r2c_rows, n, howmany, 0, aligned}); }

  // In-place forward c2c 1D transforms of `howmany` adjacent columns of length n, rows `stride` apart.
  plan get_columns(int n, int howmany, int stride, bool aligned) {
    return find_or_make({Kind::c2c_columns, n, howmany, stride, aligned});
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    return plans_.size();
  }

  // Only when no transform is running: plans handed out earlier become invalid.
  void clear() {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    for (auto& entry : plans_) api::destroy(entry.second);
    plans_.clear();
  }

  ~FftwPlanCache() {
    for (auto& entry : plans_) api::destroy(entry.second);
  }

 private:
  enum class Kind { r2c_2d, r2c_rows, c2c_columns };
  struct Key {
    Kind kind;
    int n0, n1, n2;  // r2c_2d: rows, cols; r2c_rows: n, howmany; c2c_columns: n, howmany, stride
    bool aligned;
    bool operator<(const Key& o) const {
      return std::tie(kind, n0, n1, n2, aligned) < std::tie(o.kind, o.n0, o.n1, o.n2, o.aligned);
    }
  };

  FftwPlanCache() = default;

  plan find_or_make(const Key& key) {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    if (auto it = plans_.find(key); it != plans_.end()) return it->second;
    plan p = make_plan(key);
    plans_.emplace(key, p);
    return p;
  }

  plan make_plan(const Key& key) {
    // Planning with MEASURE/PATIENT overwrites the arrays, so plan on scratch arrays of our own.
    const auto size = [](long long a, long long b) { return static_cast<std::size_t>(a * b); };
    std::size_t real_count = 0, complex_count = 0;
    switch (key.kind) {
      case Kind::r2c_2d: real_count = size(key.n0, key.n1), complex_count = size(key.n0, key.n1 / 2 + 1); break;
      case Kind::r2c_rows: real_count = size(key.n1, key.n0), complex_count = size(key.n1, key.n0 / 2 + 1); break;
      case Kind::c2c_columns: complex_count = size(key.n0 - 1, key.n2) + static_cast<std::size_t>(key.n1); break;
    }
    std::unique_ptr<Scalar, void (*)(void*)> in(
        static_cast<Scalar*>(api::malloc(sizeof(Scalar) * std::max<std::size_t>(real_count, 1))), api::free);
    std::unique_ptr<typename api::complex, void (*)(void*)> out(
        static_cast<typename api::complex*>(api::malloc(sizeof(typename api::complex) * complex_count)), api::free);
    if (!in || !out) throw std::bad_alloc();
    unsigned flags = fftw_planner_rigor_flag().load() | FFTW_PRESERVE_INPUT;
    if (!key.aligned) flags |= FFTW_UNALIGNED;
    plan p = nullptr;
    std::string what;
    switch (key.kind) {
      case Kind::r2c_2d:
        p = api::plan_r2c_2d(key.n0, key.n1, in.get(), out.get(), flags);
        what = "a " + std::to_string(key.n0) + "x" + std::to_string(key.n1) + " real-to-complex transform";
        break;
      case Kind::r2c_rows:
        p = api::plan_r2c_rows(key.n0, key.n1, in.get(), out.get(), flags);
        what = std::to_string(key.n1) + " real-to-complex transforms of length " + std::to_string(key.n0);
        break;
      case Kind::c2c_columns:
        p = api::plan_c2c_columns(key.n0, key.n1, key.n2, out.get(), flags & ~FFTW_PRESERVE_INPUT);
        what = std::to_string(key.n1) + " strided complex transforms of length " + std::to_string(key.n0);
        break;
    }
    if (!p) throw error("FFTW could not plan " + what);
    return p;
  }

  std::map<Key, plan> plans_;
};

}  // namespace fnet::detail
