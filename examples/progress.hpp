// The one-line progress report of the example command-line tools: on stderr, and only when a person is
// watching it (stderr is a terminal), so pipes and logs stay clean.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>

class Progress {
 public:
  Progress() : enabled_(isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}
  void update(std::size_t done, std::size_t failed = 0) {
    if (!enabled_) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%zu inputs (%zu failed), %.0f/s ", done, failed, seconds > 0 ? double(done) / seconds : 0.0);
    std::fflush(stderr);
  }
  ~Progress() {
    if (enabled_) std::fprintf(stderr, "\n");
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};
