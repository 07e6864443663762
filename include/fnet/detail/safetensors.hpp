// A small, validating reader for the safetensors format: an 8-byte little-endian header length, a
// JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the raw tensor bytes.
//
// The file is memory-mapped read-only and every header field is checked before any tensor byte is
// touched, so a truncated or hostile file produces an fnet::format_error (or io_error) instead of an
// out-of-bounds read. Tensor bytes are copied out with memcpy: the format makes no alignment promise.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fnet/detail/json_util.hpp"
#include "fnet/error.hpp"

namespace fnet::detail {

enum class DType { F64, F32, F16, BF16 };

inline std::size_t dtype_size(DType d) {
  switch (d) {
    case DType::F64: return 8;
    case DType::F32: return 4;
    case DType::F16:
    case DType::BF16: return 2;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::F64: return "F64";
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

inline std::optional<DType> parse_dtype(const std::string& s) {
  if (s == "F64") return DType::F64;
  if (s == "F32") return DType::F32;
  if (s == "F16") return DType::F16;
  if (s == "BF16") return DType::BF16;
  return std::nullopt;
}

// IEEE binary16 -> binary32. Every half value is exactly representable as a float, so this is pure
// bit re-packing; done by hand so it needs no F16C instructions and behaves the same everywhere.
inline float f16_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  std::uint32_t mantissa = h & 0x3FFu;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // inf, or NaN keeping its payload
  } else if (exponent != 0) {
    bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half (mantissa * 2^-24) is a normal float: shift the leading 1 into the implicit bit.
    std::uint32_t e = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// bfloat16 is the top half of a binary32.
inline float bf16_to_float(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Little-endian loads assembled from bytes: independent of host byte order and alignment.
inline std::uint16_t load_le16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_le32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::size_t begin, end;  // byte offsets within the data section (after the header)
};

// A read-only POSIX memory mapping of a whole file; owns the mapping, move-only.
class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw io_error(path + ": cannot stat: " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw io_error(path + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {  // mmap rejects length 0; an empty file is reported as truncated by the parser
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        throw io_error(path + ": cannot mmap " + std::to_string(size_) + " bytes: " + std::strerror(err));
      }
      data_ = static_cast<const unsigned char*>(p);
    }
    ::close(fd);  // the mapping stays valid without the descriptor
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  MappedFile& operator=(MappedFile&& o) noexcept {
    if (this != &o) {
      unmap();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~MappedFile() { unmap(); }

  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void unmap() {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
  }
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

class SafetensorsFile {
 public:
  // Headers beyond this are refused before parsing: real checkpoints have headers of a few MB, and
  // the cap bounds what a hostile length field can make the JSON parser allocate.
  static constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t{100} << 20;

  explicit SafetensorsFile(const std::string& path) : path_(path), map_(path) { parse(); }

  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  SafetensorsFile(SafetensorsFile&&) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;

  const std::string& path() const { return path_; }

  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }

  const TensorInfo& info(const std::string& name) const {
    const auto it = tensors_.find(name);
    if (it == tensors_.end())
      throw format_error(path_ + ": no tensor named '" + name + "' (the file has " +
                         std::to_string(tensors_.size()) + " tensors)");
    return it->second;
  }

  std::vector<std::string> names() const {  // std::map keeps them sorted
    std::vector<std::string> out;
    out.reserve(tensors_.size());
    for (const auto& kv : tensors_) out.push_back(kv.first);
    return out;
  }

  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Copies tensor `name` into out[0 .. numel), converting from the stored dtype to Scalar.
  template <class Scalar>
  void read(const std::string& name, const std::vector<std::int64_t>& expected_shape, Scalar* out) const {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "SafetensorsFile::read converts to float or double");
    const TensorInfo& t = info(name);
    if (t.shape != expected_shape)
      throw shape_error(path_ + ": tensor '" + name + "' has wrong shape; expected " +
                        shape_string(expected_shape) + ", found " + shape_string(t.shape));
    const unsigned char* src = map_.data() + data_offset_ + t.begin;
    const std::size_t n = (t.end - t.begin) / dtype_size(t.dtype);
    switch (t.dtype) {
      case DType::F64:
        if constexpr (std::is_same_v<Scalar, double> && host_is_little_endian()) {
          if (n) std::memcpy(out, src, n * sizeof(double));
        } else {
          for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Scalar>(bits_to<double>(load_le64(src + 8 * i)));
        }
        break;
      case DType::F32:
        if constexpr (std::is_same_v<Scalar, float> && host_is_little_endian()) {
          if (n) std::memcpy(out, src, n * sizeof(float));
        } else {
          for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Scalar>(bits_to<float>(load_le32(src + 4 * i)));
        }
        break;
      case DType::F16:
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Scalar>(f16_to_float(load_le16(src + 2 * i)));
        break;
      case DType::BF16:
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Scalar>(bf16_to_float(load_le16(src + 2 * i)));
        break;
    }
  }

 private:
  static constexpr bool host_is_little_endian() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
    return false;  // unknown: take the byte-by-byte path, which is correct on any host
#endif
  }

  template <class T, class U>
  static T bits_to(U bits) {
    static_assert(sizeof(T) == sizeof(U));
    T v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }

  [[noreturn]] void fail(const std::string& what) const { throw format_error(path_ + ": " + what); }
  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    throw format_error(path_ + ": tensor '" + tensor + "': " + what);
  }

  static const char* json_kind(const nlohmann::json& j) {
    if (j.is_number_float()) return "a non-integer number";
    if (j.is_number()) return "an integer";
    return j.type_name();  // "object", "array", "string", "boolean", "null"
  }

  // A non-negative JSON integer that fits `limit`; anything else names the field and what was found.
  std::uint64_t unsigned_field(const std::string& tensor, const std::string& field, const nlohmann::json& j,
                               std::uint64_t limit) const {
    if (j.is_number_unsigned()) {
      const auto v = j.get<std::uint64_t>();
      if (v > limit) fail(tensor, field + " is " + std::to_string(v) + ", larger than " + std::to_string(limit));
      return v;
    }
    if (j.is_number_integer())  // nlohmann stores non-negative integers as unsigned, so this is < 0
      fail(tensor, field + " is " + std::to_string(j.get<std::int64_t>()) + "; expected a non-negative integer");
    fail(tensor, field + " is " + json_kind(j) + " (" + json_excerpt(j) + "); expected a non-negative integer");
  }

  void parse() {
    const unsigned char* bytes = map_.data();
    const std::size_t size = map_.size();
    if (size < 8)
      fail("truncated: the file is " + std::to_string(size) +
           " bytes, shorter than the 8-byte header length prefix");
    const std::uint64_t header_len = load_le64(bytes);
    // Compare against what is actually there before using the length for anything (no overflow:
    // size >= 8 and header_len is only compared, never added).
    if (header_len > size - 8)
      fail("header length " + std::to_string(header_len) + " exceeds the " + std::to_string(size - 8) +
           " bytes after the length prefix (truncated or corrupt file)");
    if (header_len > kMaxHeaderBytes)
      fail("header length " + std::to_string(header_len) + " exceeds the " + std::to_string(kMaxHeaderBytes) +
           "-byte limit");
    data_offset_ = 8 + static_cast<std::size_t>(header_len);
    const std::size_t data_size = size - data_offset_;

    // Track top-level keys while parsing: nlohmann would silently keep only one of two duplicates.
    std::string duplicate;
    std::vector<std::string> seen;
    const nlohmann::json::parser_callback_t on_event = [&](int depth, nlohmann::json::parse_event_t event,
                                                           nlohmann::json& parsed) {
      if (depth == 1 && event == nlohmann::json::parse_event_t::key && parsed.is_string()) {
        seen.push_back(parsed.get<std::string>());
      }
      return true;
    };
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(bytes + 8, bytes + data_offset_, on_event);
    } catch (const nlohmann::json::exception& e) {
      fail(std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(std::string("header must be a JSON object, found ") + header.type_name());
    std::sort(seen.begin(), seen.end());
    const auto dup = std::adjacent_find(seen.begin(), seen.end());
    if (dup != seen.end()) fail("header has the key '" + *dup + "' more than once");

    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        if (!entry.is_object()) fail(std::string("__metadata__ must be an object, found ") + entry.type_name());
        for (const auto& [key, value] : entry.items()) {
          if (!value.is_string())
            fail("__metadata__ entry '" + key + "' must be a string, found " + json_kind(value));
          metadata_[key] = value.get<std::string>();
        }
        continue;
      }
      tensors_.emplace(name, parse_tensor(name, entry, data_size));
    }
    check_overlaps();
  }

  TensorInfo parse_tensor(const std::string& name, const nlohmann::json& entry, std::size_t data_size) const {
    if (!entry.is_object()) fail(name, std::string("entry must be an object, found ") + entry.type_name());
    TensorInfo t;
    t.name = name;

    const auto dt = entry.find("dtype");
    if (dt == entry.end()) fail(name, "missing 'dtype'");
    if (!dt->is_string()) fail(name, std::string("'dtype' must be a string, found ") + json_kind(*dt));
    const auto parsed = parse_dtype(dt->get<std::string>());
    if (!parsed) fail(name, "unsupported dtype '" + dt->get<std::string>() + "' (expected F64, F32, F16 or BF16)");
    t.dtype = *parsed;

    const auto sh = entry.find("shape");
    if (sh == entry.end()) fail(name, "missing 'shape'");
    if (!sh->is_array()) fail(name, std::string("'shape' must be an array, found ") + json_kind(*sh));
    // numel * element size must fit in both uint64 and size_t; check each multiplication.
    const std::uint64_t max_bytes = std::numeric_limits<std::size_t>::max();
    std::uint64_t numel = 1;
    bool zero = false;
    for (std::size_t i = 0; i < sh->size(); ++i) {
      const std::uint64_t d = unsigned_field(name, "shape[" + std::to_string(i) + "]", (*sh)[i],
                                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
      t.shape.push_back(static_cast<std::int64_t>(d));
      if (d == 0) zero = true;
      // Keep multiplying only non-zero dims so the overflow check stays meaningful; a zero dim anywhere
      // makes the tensor empty, but the other dims must still be individually sane (checked above).
      else if (numel > max_bytes / d)
        fail(name, "shape " + shape_string(t.shape) + "... has more elements than can be addressed");
      else
        numel *= d;
    }
    if (zero) numel = 0;
    const std::uint64_t esize = dtype_size(t.dtype);
    if (numel > max_bytes / esize) fail(name, "shape " + shape_string(t.shape) + " is too large to address");
    const std::uint64_t nbytes = numel * esize;

    const auto off = entry.find("data_offsets");
    if (off == entry.end()) fail(name, "missing 'data_offsets'");
    if (!off->is_array() || off->size() != 2)
      fail(name, "'data_offsets' must be [begin, end], found " + json_excerpt(*off));
    const std::uint64_t begin = unsigned_field(name, "data_offsets[0]", (*off)[0], max_bytes);
    const std::uint64_t end = unsigned_field(name, "data_offsets[1]", (*off)[1], max_bytes);
    const std::string range = "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
    if (begin > end) fail(name, "data_offsets " + range + " has begin after end");
    if (end > data_size)
      fail(name, "data_offsets " + range + " run past the end of the " + std::to_string(data_size) +
                     "-byte data section");
    if (end - begin != nbytes)
      fail(name, "data_offsets " + range + " span " + std::to_string(end - begin) + " bytes, but shape " +
                     shape_string(t.shape) + " of " + dtype_name(t.dtype) + " needs " + std::to_string(nbytes));
    t.begin = static_cast<std::size_t>(begin);
    t.end = static_cast<std::size_t>(end);
    return t;
  }

  // Two tensors sharing bytes means one of them is wrong; empty tensors occupy nothing and are skipped.
  void check_overlaps() const {
    std::vector<const TensorInfo*> order;
    for (const auto& kv : tensors_)
      if (kv.second.end > kv.second.begin) order.push_back(&kv.second);
    std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
      const TensorInfo& a = *order[i - 1];
      const TensorInfo& b = *order[i];
      if (b.begin < a.end)
        fail("tensors '" + a.name + "' [" + std::to_string(a.begin) + ", " + std::to_string(a.end) + ") and '" +
             b.name + "' [" + std::to_string(b.begin) + ", " + std::to_string(b.end) + ") overlap");
    }
  }

  std::string path_;
  MappedFile map_;
  std::size_t data_offset_ = 0;  // 8 + header length
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace fnet::detail
