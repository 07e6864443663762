// Which SIMD kernels this process runs. fnet's GEMM and row kernels are compiled for several x86-64 ISA
// levels into every program (whatever -march it is built with) and chosen when the CPU is known, at run
// time, so a portable build runs the same machine code as a -march=native one.
//
//   Isa::generic  Eigen's kernels as compiled (any CPU, any architecture; the only path for double)
//   Isa::avx2     AVX2 + FMA (x86-64-v3: Haswell, Zen 1-3 and later)
//   Isa::avx512   AVX-512 F/BW/DQ/VL (x86-64-v4: Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4 and later)
//
// The default is the best level the CPU and OS support. FNET_MAX_ISA=generic|avx2|avx512 in the
// environment, or cpu::set_max_isa(), caps it (for comparisons and tests, like oneDNN's ONEDNN_MAX_CPU_ISA).
// Weights are packed for the level in force when they are loaded; a loaded model keeps its level.
#pragma once

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace fnet {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

inline const char* to_string(Isa isa) {
  switch (isa) {
    case Isa::generic: return "generic";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

namespace cpu {

inline Isa parse_isa(const std::string& name) {
  if (name == "generic") return Isa::generic;
  if (name == "avx2") return Isa::avx2;
  if (name == "avx512") return Isa::avx512;
  throw std::invalid_argument("unknown ISA level '" + name + "'; expected generic, avx2 or avx512");
}

// The best level this CPU and OS support (the OS must save the wide registers: __builtin_cpu_supports
// checks XCR0 as well as CPUID).
inline Isa detected_isa() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  static const Isa detected = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
      return Isa::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
    return Isa::generic;
  }();
  return detected;
#else
  return Isa::generic;
#endif
}

inline bool supports(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(detected_isa()); }

// AVX512_VNNI (Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4 and later): the int8 dot product the
// AVX-512 int8 kernel needs. Without it, int8 runs the AVX2 kernel.
inline bool has_avx512_vnni() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  static const bool vnni = detected_isa() == Isa::avx512 && __builtin_cpu_supports("avx512vnni");
  return vnni;
#else
  return false;
#endif
}

namespace detail {
// -1: not set by set_max_isa (the environment, then the CPU, decide).
inline std::atomic<int>& max_isa_override() {
  static std::atomic<int> value{-1};
  return value;
}
}  // namespace detail

// Caps the ISA level of weights packed from now on. Throws std::invalid_argument when the CPU lacks it.
inline void set_max_isa(Isa isa) {
  if (!supports(isa))
    throw std::invalid_argument(std::string("set_max_isa: this CPU does not support ") + to_string(isa) +
                                " (best: " + to_string(detected_isa()) + ")");
  detail::max_isa_override().store(static_cast<int>(isa));
}

// The level in force: set_max_isa(), else FNET_MAX_ISA, else the CPU's best. A FNET_MAX_ISA naming an
// unknown level or one the CPU lacks throws std::invalid_argument saying so (instead of silently running
// something else than what was asked for).
inline Isa active_isa() {
  const int forced = detail::max_isa_override().load();
  if (forced >= 0) return static_cast<Isa>(forced);
  static const Isa from_environment = [] {
    const char* env = std::getenv("FNET_MAX_ISA");
    if (!env || !*env) return detected_isa();
    const Isa wanted = parse_isa(env);
    if (!supports(wanted))
      throw std::invalid_argument(std::string("FNET_MAX_ISA=") + env + ": this CPU does not support it (best: " +
                                  to_string(detected_isa()) + ")");
    return wanted;
  }();
  return from_environment;
}

}  // namespace cpu
}  // namespace fnet
