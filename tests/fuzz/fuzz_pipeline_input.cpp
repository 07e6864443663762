// libFuzzer harness: fnet-pipeline's input side (fnet/pipelines/input.hpp) on arbitrary bytes. The bytes
// are a stream read with LineReader (a small byte limit, so over-long lines happen), and every line is
// parsed as each pipeline's input, as JSON and as a plain line. Invariants: a line never exceeds the limit;
// too-long lines come back empty; a malformed input is a std::invalid_argument and nothing else (any other
// exception escapes and libFuzzer reports it).
#include <cstdint>
#include <cstdio>
#include <string>

#include <fnet/pipelines/input.hpp>

#include "fuzz/fuzz_util.hpp"

namespace {

template <class Input>
void parse_both(const std::string& line) {
  for (bool json : {true, false}) {
    try {
      const Input in = fnet::parse_input<Input>(line, json);
      (void)in;
    } catch (const std::invalid_argument&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t limit = 1 + data[0] % 200;
  std::FILE* in = ::fmemopen(const_cast<std::uint8_t*>(data + 1), size - 1, "rb");
  if (!in) return 0;  // fmemopen refuses an empty buffer
  fnet::LineReader reader(in, limit);
  std::string line;
  bool too_long = false;
  std::size_t bytes = 0, lines = 0, total = 0;
  while (reader.next(line, too_long, bytes)) {
    ++lines;
    total += bytes;
    if (line.size() > limit) fnet_fuzz::invariant_failed("a line longer than the reader's limit");
    if (too_long != (bytes > limit)) fnet_fuzz::invariant_failed("too_long disagrees with the line's length");
    if (too_long && !line.empty()) fnet_fuzz::invariant_failed("a too-long line was kept");
    if (!too_long && line.size() != bytes) fnet_fuzz::invariant_failed("line size differs from its byte count");
    parse_both<fnet::TextClassificationInput>(line);
    parse_both<fnet::TokenClassificationInput>(line);
    parse_both<fnet::QuestionAnsweringInput>(line);
    parse_both<fnet::FillMaskInput>(line);
    parse_both<fnet::FeatureExtractionInput>(line);
    parse_both<fnet::ZeroShotInput>(line);
    parse_both<fnet::MultipleChoiceInput>(line);
  }
  std::fclose(in);
  if (total > size - 1 || lines > size - 1) fnet_fuzz::invariant_failed("bytes invented by the line reader");
  return 0;
}
