// Shared by the libFuzzer harnesses: an in-memory file (memfd) with a path, so the loaders under test
// read fuzz inputs through their ordinary open/mmap/ifstream code without touching the disk.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fnet_fuzz {

class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  // Replaces the file's contents with data[0, size).
  void assign(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
  }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

// Stops the fuzzer with a crash report: an invariant of the library does not hold for this input.
[[noreturn]] inline void invariant_failed(const char* what) {
  std::fprintf(stderr, "fnet fuzz invariant failed: %s\n", what);
  std::abort();
}

}  // namespace fnet_fuzz
