// Tests for fnet::detail::SafetensorsFile: decoding of every supported dtype (against files numpy wrote
// and files written here), the exhaustive F16 conversion, and one case per kind of malformed file.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "fnet/detail/safetensors.hpp"
#include "support/message_matcher.hpp"

namespace fs = std::filesystem;
using fnet::detail::DType;
using fnet::detail::SafetensorsFile;

namespace {

// Written by tests/reference/make_safetensors_fixtures.py (the CTest fixture safetensors_fixtures).
const fs::path kFixtures = fs::path(FNET_TEST_BINARY_DIR) / "safetensors_fixtures";

fs::path scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::path(FNET_TEST_BINARY_DIR) / "safetensors_scratch";
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

void append_le(std::string& out, std::uint64_t v, int nbytes) {
  for (int i = 0; i < nbytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string write_raw(const std::string& name, const std::string& bytes) {
  const fs::path p = scratch_dir() / name;
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
  return p.string();
}

// A file with the given header text and data bytes; `claimed` overrides the header length field.
std::string write_st(const std::string& name, const std::string& header, const std::string& data,
                     std::uint64_t claimed = std::numeric_limits<std::uint64_t>::max()) {
  std::string bytes;
  append_le(bytes, claimed == std::numeric_limits<std::uint64_t>::max() ? header.size() : claimed, 8);
  return write_raw(name, bytes + header + data);
}

using fnet_test::MessageContains;

MessageContains Contains(std::string a, std::string b = {}) { return MessageContains({std::move(a), std::move(b)}); }

std::string zeros(std::size_t n) { return std::string(n, '\0'); }

std::uint32_t float_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

std::string fixture(const char* name) {
  const fs::path p = kFixtures / name;
  if (!fs::exists(p))
    FAIL(p.string() << " is missing; run the whole suite through ctest, which runs "
                       "make_safetensors_fixtures.py first");
  return p.string();
}

// Every fixture tensor named X has an F64 "X.expected" with numpy's decoding of what X stores.
void check_against_expected(const SafetensorsFile& f) {
  for (const char* name : {"a_f16", "b_bf16", "c_f32", "d_f64"}) {
    INFO("tensor " << name);
    const std::vector<std::int64_t> shape{3, 5};
    std::vector<double> expected(15), as_double(15);
    std::vector<float> as_float(15);
    f.read(std::string(name) + ".expected", shape, expected.data());
    f.read(name, shape, as_double.data());
    f.read(name, shape, as_float.data());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      INFO("element " << i);
      CHECK(as_double[i] == expected[i]);  // exact, infinities included
      CHECK(as_float[i] == static_cast<float>(expected[i]));
      CHECK(std::signbit(as_double[i]) == std::signbit(expected[i]));  // -0.0 survives
    }
  }
}

}  // namespace

TEST_CASE("F16 decoding is exact for all 65536 bit patterns (independent computation)", "[safetensors]") {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float got = fnet::detail::f16_to_float(static_cast<std::uint16_t>(h));
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    const int exponent = static_cast<int>((h >> 10) & 0x1F);
    const int mantissa = static_cast<int>(h & 0x3FF);
    INFO("half bits 0x" << std::hex << h);
    REQUIRE(std::signbit(got) == static_cast<bool>(h & 0x8000));
    if (exponent == 31 && mantissa != 0) {
      REQUIRE(std::isnan(got));
      REQUIRE((float_bits(got) & 0x7FFFFFu) == static_cast<std::uint32_t>(mantissa) << 13);  // payload kept
    } else if (exponent == 31) {
      REQUIRE(std::isinf(got));
    } else if (exponent == 0) {
      REQUIRE(got == static_cast<float>(sign * std::ldexp(mantissa, -24)));  // subnormal (or zero)
    } else {
      REQUIRE(got == static_cast<float>(sign * std::ldexp(1024 + mantissa, exponent - 25)));
    }
  }
}

TEST_CASE("F16 decoding matches numpy for all 65536 bit patterns", "[safetensors][python]") {
  const SafetensorsFile f(fixture("f16_table.safetensors"));
  REQUIRE(f.info("half").dtype == DType::F16);
  REQUIRE(f.info("float").dtype == DType::F32);
  std::vector<float> got(65536), expected(65536);
  f.read("half", {65536}, got.data());
  f.read("float", {65536}, expected.data());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    // numpy keeps NaN payloads too, but a hardware conversion may quiet them, so for NaN compare
    // only NaN-ness and sign; everything else must match bit for bit.
    const bool ok = std::isnan(expected[i])
                        ? std::isnan(got[i]) && std::signbit(got[i]) == std::signbit(expected[i])
                        : float_bits(got[i]) == float_bits(expected[i]);
    if (!ok && ++mismatches <= 5) UNSCOPED_INFO("half 0x" << std::hex << i << ": got " << got[i] << ", numpy " << expected[i]);
  }
  REQUIRE(mismatches == 0);
}

TEST_CASE("BF16 decoding is the top half of a float", "[safetensors]") {
  CHECK(fnet::detail::bf16_to_float(0x3F80) == 1.0f);
  CHECK(fnet::detail::bf16_to_float(0xC000) == -2.0f);
  CHECK(std::isinf(fnet::detail::bf16_to_float(0x7F80)));
  CHECK(std::isnan(fnet::detail::bf16_to_float(0x7FC0)));
  CHECK(float_bits(fnet::detail::bf16_to_float(0x0001)) == 0x00010000u);  // float subnormal
}

TEST_CASE("Files written by numpy decode exactly in all four dtypes", "[safetensors][python]") {
  const SafetensorsFile f(fixture("dtypes.safetensors"));
  CHECK(f.names() == std::vector<std::string>{"a_f16", "a_f16.expected", "b_bf16", "b_bf16.expected", "c_f32",
                                              "c_f32.expected", "d_f64", "d_f64.expected", "e_scalar", "f_empty",
                                              "g_f64_3d"});
  CHECK(f.metadata().at("format") == "pt");
  CHECK(f.metadata().at("source") == "make_safetensors_fixtures.py");
  CHECK(f.info("a_f16").dtype == DType::F16);
  CHECK(f.info("b_bf16").dtype == DType::BF16);
  CHECK(f.info("c_f32").dtype == DType::F32);
  CHECK(f.info("d_f64").dtype == DType::F64);
  CHECK(f.info("a_f16").begin == 0);
  CHECK(f.info("a_f16").end == 30);
  check_against_expected(f);

  float scalar = 0;
  f.read("e_scalar", {}, &scalar);  // shape []: one element
  CHECK(scalar == 2.5f);
  f.read<float>("f_empty", {0, 4}, nullptr);  // nothing to copy
  std::vector<double> g(24);
  f.read("g_f64_3d", {2, 3, 4}, g.data());
  CHECK(std::isfinite(g[23]));
}

TEST_CASE("A data section at an odd file offset reads correctly", "[safetensors][python]") {
  // Re-pad the numpy-written header by one byte so every tensor starts at an odd address in the
  // mapping; UBSan would flag any misaligned typed load.
  std::ifstream in(fixture("dtypes.safetensors"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::uint64_t n = fnet::detail::load_le64(reinterpret_cast<const unsigned char*>(bytes.data()));
  REQUIRE((8 + n) % 8 == 0);
  const std::string path = write_st("odd_offset.safetensors", bytes.substr(8, n) + " ", bytes.substr(8 + n));
  const SafetensorsFile f(path);
  check_against_expected(f);
}

TEST_CASE("Files written here decode in all four dtypes, into float and double", "[safetensors]") {
  // One tensor per dtype, back to back (sizes 24, 12, 6, 6) so most start misaligned for their type.
  std::string data;
  const double d[3] = {1.5, -0.1, 1e300};
  for (double v : d) {
    std::uint64_t b;
    std::memcpy(&b, &v, 8);
    append_le(data, b, 8);
  }
  const float s[3] = {0.25f, -3.0f, 1e-40f};  // the last is a float subnormal
  for (float v : s) append_le(data, float_bits(v), 4);
  for (std::uint16_t h : {0x3C00, 0x8001, 0xFC00}) append_le(data, h, 2);  // 1, -2^-24, -inf
  for (std::uint16_t h : {0x3F80, 0x4049, 0x0000}) append_le(data, h, 2);  // 1, 3.140625, 0
  const std::string header =
      R"({"d":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},)"
      R"("s":{"dtype":"F32","shape":[1,3],"data_offsets":[24,36]},)"
      R"("h":{"dtype":"F16","shape":[3,1],"data_offsets":[36,42]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[42,48]}})";
  const SafetensorsFile f(write_st("cpp_written.safetensors", header, data));
  CHECK(f.metadata().empty());

  double dd[3];
  float df[3];
  f.read("d", {3}, dd);
  f.read("d", {3}, df);
  CHECK(dd[0] == 1.5);
  CHECK(dd[1] == -0.1);
  CHECK(dd[2] == 1e300);
  CHECK(df[1] == -0.1f);
  CHECK(std::isinf(df[2]));  // out of float range

  float sf[3];
  double sd[3];
  f.read("s", {1, 3}, sf);
  f.read("s", {1, 3}, sd);
  for (int i = 0; i < 3; ++i) {
    CHECK(sf[i] == s[i]);
    CHECK(sd[i] == static_cast<double>(s[i]));
  }

  float h[3];
  f.read("h", {3, 1}, h);
  CHECK(h[0] == 1.0f);
  CHECK(h[1] == -std::ldexp(1.0f, -24));
  CHECK(h[2] == -std::numeric_limits<float>::infinity());

  double b[3];
  f.read("b", {3}, b);
  CHECK(b[0] == 1.0);
  CHECK(b[1] == 3.140625);
  CHECK(b[2] == 0.0);
}

TEST_CASE("SafetensorsFile is movable and stays readable after a move", "[safetensors]") {
  const std::string header = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string data;
  append_le(data, float_bits(7.0f), 4);
  SafetensorsFile a(write_st("move.safetensors", header, data));
  SafetensorsFile b(std::move(a));
  float v = 0;
  b.read("x", {1}, &v);
  CHECK(v == 7.0f);
  SafetensorsFile c(write_st("move2.safetensors", R"({})", ""));
  CHECK(c.names().empty());
  c = std::move(b);
  v = 0;
  c.read("x", {1}, &v);
  CHECK(v == 7.0f);
  CHECK(c.contains("x"));
  CHECK_FALSE(c.contains("y"));
  CHECK(c.path().find("move.safetensors") != std::string::npos);
}

// ---- malformed files: each must fail with a format_error naming the file and the problem ----

#define REQUIRE_FORMAT_ERROR(path, fragment) \
  REQUIRE_THROWS_MATCHES(SafetensorsFile(path), fnet::format_error, Contains(path, fragment))

TEST_CASE("Malformed: truncated file (shorter than the length prefix)", "[safetensors][malformed]") {
  const std::string p = write_raw("truncated.safetensors", std::string("\x10\x00\x00", 3));
  REQUIRE_FORMAT_ERROR(p, "truncated: the file is 3 bytes");
  const std::string empty = write_raw("empty.safetensors", "");
  REQUIRE_FORMAT_ERROR(empty, "truncated: the file is 0 bytes");
}

TEST_CASE("Malformed: header length larger than the file", "[safetensors][malformed]") {
  const std::string p = write_st("long_header.safetensors", R"({})", "", 100);
  REQUIRE_FORMAT_ERROR(p, "header length 100 exceeds the 2 bytes after the length prefix");
}

TEST_CASE("Malformed: header length 2^63", "[safetensors][malformed]") {
  const std::string p = write_st("huge_header.safetensors", R"({})", "", std::uint64_t{1} << 63);
  REQUIRE_FORMAT_ERROR(p, "header length 9223372036854775808 exceeds");
}

TEST_CASE("Malformed: header length over the sanity limit", "[safetensors][malformed]") {
  // The length fits in the file (a sparse one, so this costs no disk), but is refused before parsing.
  const std::uint64_t n = fnet::detail::SafetensorsFile::kMaxHeaderBytes + 1;
  const std::string p = write_st("big_header.safetensors", "", "", n);
  fs::resize_file(p, 8 + n);
  REQUIRE_FORMAT_ERROR(p, "header length " + std::to_string(n) + " exceeds the 104857600-byte limit");
  fs::remove(p);
}

TEST_CASE("Malformed: header is not JSON", "[safetensors][malformed]") {
  REQUIRE_FORMAT_ERROR(write_st("not_json.safetensors", R"({"x": {"dtype": )", ""), "header is not valid JSON");
  REQUIRE_FORMAT_ERROR(write_st("empty_header.safetensors", "", ""), "header is not valid JSON");
}

TEST_CASE("Malformed: header is a JSON array", "[safetensors][malformed]") {
  REQUIRE_FORMAT_ERROR(write_st("array.safetensors", R"([1, 2])", ""), "header must be a JSON object, found array");
}

TEST_CASE("Malformed: unknown dtype", "[safetensors][malformed]") {
  const std::string p =
      write_st("dtype.safetensors", R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", zeros(16));
  REQUIRE_FORMAT_ERROR(p, "tensor 'ids': unsupported dtype 'I64'");
}

TEST_CASE("Malformed: data_offsets disagree with shape and dtype", "[safetensors][malformed]") {
  const std::string p =
      write_st("mismatch.safetensors", R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", zeros(16));
  REQUIRE_FORMAT_ERROR(p, "tensor 'w': data_offsets [0, 12] span 12 bytes, but shape [2, 2] of F32 needs 16");
}

TEST_CASE("Malformed: data_offsets past the end of the data", "[safetensors][malformed]") {
  const std::string p =
      write_st("past_end.safetensors", R"({"w":{"dtype":"F16","shape":[4],"data_offsets":[4,12]}})", zeros(10));
  REQUIRE_FORMAT_ERROR(p, "tensor 'w': data_offsets [4, 12] run past the end of the 10-byte data section");
}

TEST_CASE("Malformed: data_offsets begin after end", "[safetensors][malformed]") {
  const std::string p =
      write_st("reversed.safetensors", R"({"w":{"dtype":"F16","shape":[0],"data_offsets":[4,2]}})", zeros(10));
  REQUIRE_FORMAT_ERROR(p, "tensor 'w': data_offsets [4, 2] has begin after end");
}

TEST_CASE("Malformed: overlapping tensors", "[safetensors][malformed]") {
  const std::string p = write_st("overlap.safetensors",
                                 R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                 zeros(16));
  REQUIRE_FORMAT_ERROR(p, "tensors 'a' [0, 16) and 'b' [8, 16) overlap");
}

TEST_CASE("Malformed: negative dimension", "[safetensors][malformed]") {
  const std::string p =
      write_st("negative.safetensors", R"({"w":{"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]}})", zeros(16));
  REQUIRE_FORMAT_ERROR(p, "tensor 'w': shape[1] is -2; expected a non-negative integer");
}

TEST_CASE("Malformed: non-integer dimension", "[safetensors][malformed]") {
  const std::string p =
      write_st("float_dim.safetensors", R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", zeros(8));
  REQUIRE_FORMAT_ERROR(p, "tensor 'w': shape[0] is a non-integer number (2.5)");
}

TEST_CASE("Malformed: element count overflows", "[safetensors][malformed]") {
  // Each dimension is fine on its own; their product (2^96) is not.
  const std::string p = write_st(
      "overflow.safetensors",
      R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}})", "");
  REQUIRE_FORMAT_ERROR(p, "has more elements than can be addressed");
  // The byte count overflows even though the element count (2^62) does not.
  const std::string q = write_st(
      "overflow_bytes.safetensors", R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", "");
  REQUIRE_FORMAT_ERROR(q, "is too large to address");
}

TEST_CASE("Malformed: entry fields missing or of the wrong type", "[safetensors][malformed]") {
  REQUIRE_FORMAT_ERROR(write_st("no_dtype.safetensors", R"({"w":{"shape":[1],"data_offsets":[0,4]}})", zeros(4)),
                       "tensor 'w': missing 'dtype'");
  REQUIRE_FORMAT_ERROR(write_st("no_shape.safetensors", R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", zeros(4)),
                       "tensor 'w': missing 'shape'");
  REQUIRE_FORMAT_ERROR(write_st("no_offsets.safetensors", R"({"w":{"dtype":"F32","shape":[1]}})", zeros(4)),
                       "tensor 'w': missing 'data_offsets'");
  REQUIRE_FORMAT_ERROR(
      write_st("three_offsets.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", zeros(8)),
      "tensor 'w': 'data_offsets' must be [begin, end], found [0,4,8]");
  REQUIRE_FORMAT_ERROR(write_st("dtype_int.safetensors", R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})",
                                zeros(4)),
                       "tensor 'w': 'dtype' must be a string, found an integer");
  REQUIRE_FORMAT_ERROR(write_st("entry_string.safetensors", R"({"w":"F32"})", ""),
                       "tensor 'w': entry must be an object, found string");
}

TEST_CASE("Malformed: duplicate tensor names", "[safetensors][malformed]") {
  const std::string p = write_st("duplicate.safetensors",
                                 R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                 R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                 zeros(8));
  REQUIRE_FORMAT_ERROR(p, "header has the key 'w' more than once");
}

TEST_CASE("Malformed: __metadata__ that is not an object of strings", "[safetensors][malformed]") {
  REQUIRE_FORMAT_ERROR(write_st("meta_array.safetensors", R"({"__metadata__":["pt"]})", ""),
                       "__metadata__ must be an object, found array");
  REQUIRE_FORMAT_ERROR(write_st("meta_number.safetensors", R"({"__metadata__":{"format":"pt","step":3}})", ""),
                       "__metadata__ entry 'step' must be a string, found an integer");
}

TEST_CASE("Missing tensor", "[safetensors][malformed]") {
  const std::string p =
      write_st("missing.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(4));
  const SafetensorsFile f(p);
  float v;
  REQUIRE_THROWS_MATCHES(f.info("nope"), fnet::format_error, Contains(p, "no tensor named 'nope'"));
  REQUIRE_THROWS_MATCHES(f.read("nope", {1}, &v), fnet::format_error, Contains(p, "no tensor named 'nope'"));
}

TEST_CASE("Wrong expected shape", "[safetensors][malformed]") {
  const std::string p =
      write_st("shape.safetensors", R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})", zeros(24));
  const SafetensorsFile f(p);
  std::vector<float> out(6);
  REQUIRE_THROWS_MATCHES(f.read("w", {3, 2}, out.data()), fnet::shape_error,
                         Contains(p + ": tensor 'w' has wrong shape; expected [3, 2], found [2, 3]"));
  REQUIRE_THROWS_AS(f.read("w", {6}, out.data()), fnet::shape_error);
}

TEST_CASE("Unreadable paths are io_errors", "[safetensors][malformed]") {
  const std::string missing = (scratch_dir() / "does_not_exist.safetensors").string();
  REQUIRE_THROWS_MATCHES(SafetensorsFile(missing), fnet::io_error, Contains(missing, "cannot open"));
  REQUIRE_THROWS_MATCHES(SafetensorsFile(scratch_dir().string()), fnet::io_error, Contains("not a regular file"));
}

TEST_CASE("Valid edge cases: gaps, empty tensors, trailing padding", "[safetensors]") {
  // Empty tensors may share an offset with anything; a gap between tensors is tolerated.
  const std::string p = write_st("edges.safetensors",
                                 R"({"e":{"dtype":"F32","shape":[0,7],"data_offsets":[4,4]},)"
                                 R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                 R"("v":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]}}     )",
                                 zeros(8));
  const SafetensorsFile f(p);
  CHECK(f.names() == std::vector<std::string>{"e", "v", "w"});
  CHECK(f.info("e").shape == std::vector<std::int64_t>{0, 7});
}
