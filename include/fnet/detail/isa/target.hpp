// Target regions: code between FNET_ISA_BEGIN_<level> and FNET_ISA_END is compiled for that x86-64 ISA
// level whatever the command line's -march, so one binary carries kernels for several levels and
// chooses among them at run time (cpu.hpp). Only code that runs after the CPU check may live there.
//
// GCC marks every function in the region through `#pragma GCC target`; clang through `#pragma clang
// attribute` (function templates included, which is what lets kernels.inc be written once).
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define FNET_HAVE_X86_KERNELS 1
#define FNET_ALWAYS_INLINE inline __attribute__((always_inline))

#if defined(__clang__)
#define FNET_ISA_BEGIN_AVX2 \
  _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = function)")
#define FNET_ISA_BEGIN_AVX512 \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c\"))), apply_to = function)")
#define FNET_ISA_BEGIN_AVX512VNNI \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c\"))), apply_to = function)")
#define FNET_ISA_END _Pragma("clang attribute pop")
#else
#define FNET_ISA_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,f16c\")")
#define FNET_ISA_BEGIN_AVX512 \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c\")")
#define FNET_ISA_BEGIN_AVX512VNNI \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c\")")
#define FNET_ISA_END _Pragma("GCC pop_options")
#endif

#else
#define FNET_HAVE_X86_KERNELS 0
#endif
