// Typed errors. Every failure the library reports names what it was reading (file, tensor, field)
// and, where it applies, what it expected and what it found.
#pragma once

#include <stdexcept>
#include <string>

namespace fnet {

// Base of everything fnet throws for bad data. API misuse (wrong argument shapes, ids out of range)
// throws std::invalid_argument instead, because the caller, not the file, is at fault.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or directory could not be opened, mapped or read.
class io_error : public error {
 public:
  using error::error;
};

// A file was readable but its contents are malformed (bad JSON, bad safetensors header, bad field).
class format_error : public error {
 public:
  using error::error;
};

// A tensor exists but its shape or dtype is not what the configuration implies.
class shape_error : public format_error {
 public:
  using format_error::format_error;
};

}  // namespace fnet
