// Settings of the FFTW planning behind FourierMixing: planner rigor, wisdom files, the plan cache.
#pragma once

#include <mutex>
#include <string>

#include "fnet/detail/fftw_plan_cache.hpp"
#include "fnet/error.hpp"

namespace fnet::fft {

// How hard FFTW searches for a fast plan when a (sequence length, hidden) shape is first seen.
// Estimate (default) plans instantly; Measure/Patient time candidate algorithms (seconds per shape) and
// may pick faster ones. Affects plans created after the call; export wisdom to reuse the search.
enum class PlannerRigor { Estimate, Measure, Patient, Exhaustive };

inline void set_planner_rigor(PlannerRigor rigor) {
  unsigned flag = FFTW_ESTIMATE;
  switch (rigor) {
    case PlannerRigor::Estimate: flag = FFTW_ESTIMATE; break;
    case PlannerRigor::Measure: flag = FFTW_MEASURE; break;
    case PlannerRigor::Patient: flag = FFTW_PATIENT; break;
    case PlannerRigor::Exhaustive: flag = FFTW_EXHAUSTIVE; break;
  }
  detail::fftw_planner_rigor_flag().store(flag);
}

// Wisdom files hold both precisions' wisdom as FFTW writes it: `<path>.f32` and `<path>.f64`.
inline void export_wisdom(const std::string& path) {
  std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
  if (!detail::fftw_api<float>::export_wisdom((path + ".f32").c_str()) ||
      !detail::fftw_api<double>::export_wisdom((path + ".f64").c_str()))
    throw io_error(path + ": cannot write FFTW wisdom");
}

// Returns false when neither file exists or neither holds valid wisdom.
inline bool import_wisdom(const std::string& path) {
  std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
  const bool f32 = detail::fftw_api<float>::import_wisdom((path + ".f32").c_str()) != 0;
  const bool f64 = detail::fftw_api<double>::import_wisdom((path + ".f64").c_str()) != 0;
  return f32 || f64;
}

// Number of cached plans (both precisions).
inline std::size_t cached_plan_count() {
  return detail::FftwPlanCache<float>::instance().size() + detail::FftwPlanCache<double>::instance().size();
}

// Destroys every cached plan. Call only while no forward pass runs in any thread.
inline void clear_plan_cache() {
  detail::FftwPlanCache<float>::instance().clear();
  detail::FftwPlanCache<double>::instance().clear();
}

}  // namespace fnet::fft
