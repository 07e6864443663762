// One classification forward pass, for measuring peak memory with `/usr/bin/time -v`:
//
//   fnet_peak_rss [--batch B] [--seq S] [--threads T] [--model DIR] [--repeat N] [--precision fp32|int8]
//
// Without --model it builds an FNet-base-shaped classifier (12 × 768 × 3072, vocab 32000, 2 labels) with
// random weights in memory; with --model it loads a Hugging Face layout directory. Prints the parameter
// memory, the forward time and the logits of the first sequence. --repeat N runs N more forward passes
// after printing that line, for a profiler to attach to the steady state (tools/profile_forward.sh).
// It also prints the resident memory once the model is loaded and after the forward pass: the peak since
// loading ended ("serving", from VmHWM after resetting it through /proc/self/clear_refs where Linux
// allows) besides the whole run's peak that /usr/bin/time -v reports.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <fnet/fnet.hpp>

#include "bench_common.hpp"

// A field of /proc/self/status in KiB (0 where there is none).
long resident_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  return 0;
}

// Resets VmHWM to the current resident size (Linux 4.0+: writing 5 to /proc/self/clear_refs); without it
// the "serving peak" is the whole run's.
void reset_peak_resident() { std::ofstream("/proc/self/clear_refs") << "5"; }

int main(int argc, char** argv) {
  long batch = 1, seq = 512, threads = 1, repeat = 0;
  std::string dir, precision_name = "fp32";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) batch = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seq")) seq = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--model")) dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--precision")) precision_name = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--batch B] [--seq S] [--threads T] [--model DIR] [--repeat N] [--precision fp32|int8]\n",
                   argv[0]);
      return 2;
    }
  }
  try {
    const fnet::LoadOptions options{fnet::parse_precision(precision_name), {}};
    fnet::FNetModel<float> model = dir.empty() ? fnet::FNetModel<float>(fnet::bench::fnet_base_config(), true, options)
                                               : fnet::load_model<float>(dir, options);
    std::size_t parameters = 0;
    model.visit_parameters([&](const fnet::ParameterRef<float>& p) {
      std::size_t n = 1;
      for (auto s : p.shape) n *= std::size_t(s);
      parameters += n;
    });
    if (dir.empty()) model.visit_parameters(fnet::bench::random_weights<float>(11));
    const long loaded_kib = resident_kib("VmRSS");
    reset_peak_resident();

    fnet::Workspace<float> ws{static_cast<int>(threads)};
    const fnet::TokenIds ids = fnet::bench::random_ids(batch, seq, model.config().vocab_size, 13);
    const auto start = std::chrono::steady_clock::now();
    const auto out = model.forward(ids, ws);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("parameters %zu (%.1f MiB as float32); batch %ld seq %ld threads %ld: forward %.1f ms; logits[0] =",
                parameters, double(parameters) * 4.0 / 1048576.0, batch, seq, threads, ms);
    for (fnet::Index l = 0; l < out.logits.dimension(1); ++l) std::printf(" %.5f", double(out.logits(0, l)));
    std::printf("\n");
    std::printf("precision %s; resident after loading %.1f MiB; serving peak %.1f MiB\n", precision_name.c_str(),
                double(loaded_kib) / 1024.0, double(resident_kib("VmHWM")) / 1024.0);
    std::fflush(stdout);
    for (long r = 0; r < repeat; ++r) model.forward(ids, ws);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fnet_peak_rss: %s\n", e.what());
    return 1;
  }
  return 0;
}
