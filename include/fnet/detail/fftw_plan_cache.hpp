// Process-wide cache of FFTW plans for the 2D real-to-complex transform, one per
// (sequence length, hidden dim, scalar type, alignment). FFTW's planner is not thread-safe, so every
// planner call (create, destroy, wisdom) happens under one mutex; executing a plan is thread-safe, and
// the new-array execute lets one cached plan serve any pair of buffers on any thread.
#pragma once

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

  // The plan for an out-of-place r2c transform of a rows x cols row-major array. `aligned` plans need
  // both buffers SIMD-aligned (fftw_alignment_of == 0); the unaligned variant accepts any buffers.
  plan get(int rows, int cols, bool aligned) {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    const Key key{rows, cols, aligned};
    if (auto it = plans_.find(key); it != plans_.end()) return it->second;
    plan p = make_plan(rows, cols, aligned);
    plans_.emplace(key, p);
    return p;
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
  using Key = std::tuple<int, int, bool>;

  FftwPlanCache() = default;

  plan make_plan(int rows, int cols, bool aligned) {
    // Planning with MEASURE/PATIENT overwrites the arrays, so plan on scratch arrays of our own.
    const std::size_t real_count = static_cast<std::size_t>(rows) * cols;
    const std::size_t complex_count = static_cast<std::size_t>(rows) * (cols / 2 + 1);
    std::unique_ptr<Scalar, void (*)(void*)> in(static_cast<Scalar*>(api::malloc(sizeof(Scalar) * real_count)),
                                                api::free);
    std::unique_ptr<typename api::complex, void (*)(void*)> out(
        static_cast<typename api::complex*>(api::malloc(sizeof(typename api::complex) * complex_count)), api::free);
    if (!in || !out) throw std::bad_alloc();
    unsigned flags = fftw_planner_rigor_flag().load() | FFTW_PRESERVE_INPUT;
    if (!aligned) flags |= FFTW_UNALIGNED;
    plan p = api::plan_r2c_2d(rows, cols, in.get(), out.get(), flags);
    if (!p)
      throw error("FFTW could not plan a " + std::to_string(rows) + "x" + std::to_string(cols) +
                  " real-to-complex transform");
    return p;
  }

  std::map<Key, plan> plans_;
};

}  // namespace fnet::detail
