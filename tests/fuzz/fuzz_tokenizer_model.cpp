// libFuzzer harness: arbitrary bytes as text through the whole pipeline, Tokenizer -> FNetModel.
//
// Input layout: byte 0 picks max_length (2 + b0 % (max_position_embeddings - 1)), byte 1 bit 0 picks
// a pair (the rest is split at the first tab) or a single text, bit 1 the tokenizer (as configured, or
// with do_lower_case=true and keep_accents=false: ICU lower-casing and accent stripping); everything after
// byte 1 is the text. Invalid UTF-8 must be refused with std::invalid_argument; anything else must encode
// to exactly max_length valid ids whose spans lie inside their text, in order, on UTF-8 character
// boundaries, with code-point spans that agree; the forward pass must accept the ids and produce finite
// logits.
//
// The model directory is FNET_FUZZ_MODEL_DIR when set (spiece.model, config.json, model.safetensors,
// e.g. examples/models/sst2-fnet-small); otherwise a tiny SentencePiece model is trained and a tiny
// random FNet written to a temporary directory at start-up.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fnet/fnet.hpp>
#include <fnet/text/tokenizer.hpp>

#include "fuzz_util.hpp"
#include "support/model_writer.hpp"
#include "support/tiny_tokenizer.hpp"

namespace {

struct Pipeline {
  std::unique_ptr<fnet::Tokenizer> tokenizer;
  std::unique_ptr<fnet::Tokenizer> lower_no_accents;  // the same vocabulary, do_lower_case + keep_accents=false
  std::unique_ptr<fnet::FNetModel<float>> model;
  fnet::Workspace<float> ws;
};

Pipeline* g_pipeline = nullptr;

std::filesystem::path prepare_model_dir() {
  if (const char* dir = std::getenv("FNET_FUZZ_MODEL_DIR")) return dir;
  char tmpl[] = "/tmp/fnet_fuzz_model_XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    std::abort();
  }
  const std::filesystem::path dir = tmpl;
  fnet_test::train_tiny_spm(dir, 160);
  const fnet::Tokenizer tokenizer(dir);
  fnet::Config config = fnet_test::tiny_config(tokenizer.vocab_size());
  fnet_test::write_random_model(dir, config, 31);
  return dir;
}

// A directory with dir's spiece.model and a tokenizer_config.json turning on both Unicode options.
std::filesystem::path lower_no_accents_dir(const std::filesystem::path& dir) {
  char tmpl[] = "/tmp/fnet_fuzz_lower_XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    std::abort();
  }
  const std::filesystem::path out = tmpl;
  std::filesystem::copy_file(dir / "spiece.model", out / "spiece.model");
  std::FILE* f = std::fopen((out / "tokenizer_config.json").c_str(), "w");
  std::fputs("{\"do_lower_case\": true, \"keep_accents\": false}", f);
  std::fclose(f);
  return out;
}

// Spans of the tokens of one text (sequence id `sequence`): inside it, starting in order, on character
// boundaries; code-point spans consistent with the byte spans.
void check_spans(const fnet::Encoding& e, std::string_view text, int sequence) {
  auto boundary = [&](std::int64_t at) {
    return at == static_cast<std::int64_t>(text.size()) ||
           (static_cast<unsigned char>(text[static_cast<std::size_t>(at)]) & 0xC0) != 0x80;
  };
  std::int64_t last_begin = 0;
  for (std::size_t t = 0; t < e.input_ids.size(); ++t) {
    const auto [b, end] = e.offsets[t];
    if (e.sequence_ids[t] == -1) {
      if (b != 0 || end != 0 || e.char_offsets[t].first != 0 || e.char_offsets[t].second != 0)
        fnet_fuzz::invariant_failed("special or padding token with a non-empty span");
      continue;
    }
    if (e.sequence_ids[t] != sequence) continue;
    if (b < 0 || end < b || end > static_cast<std::int64_t>(text.size())) fnet_fuzz::invariant_failed("span outside its text");
    if (b < last_begin) fnet_fuzz::invariant_failed("spans out of order");
    if (!boundary(b) || !boundary(end)) fnet_fuzz::invariant_failed("span splits a UTF-8 character");
    last_begin = b;
    std::int64_t chars_before = 0, chars_in = 0;
    for (std::int64_t i = 0; i < end; ++i)
      if ((static_cast<unsigned char>(text[static_cast<std::size_t>(i)]) & 0xC0) != 0x80) (i < b ? chars_before : chars_in)++;
    if (e.char_offsets[t].first != chars_before || e.char_offsets[t].second != chars_before + chars_in)
      fnet_fuzz::invariant_failed("code-point span disagrees with the byte span");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::filesystem::path dir = prepare_model_dir();
  g_pipeline = new Pipeline{std::make_unique<fnet::Tokenizer>(dir), std::make_unique<fnet::Tokenizer>(lower_no_accents_dir(dir)),
                            std::make_unique<fnet::FNetModel<float>>(fnet::load_model<float>(dir.string())),
                            fnet::Workspace<float>()};
  std::fprintf(stderr, "fuzz_tokenizer_model: model %s (vocab %d)\n", dir.c_str(), g_pipeline->tokenizer->vocab_size());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Pipeline& p = *g_pipeline;
  const fnet::Config& config = p.model->config();
  const std::int64_t max_length = 2 + data[0] % (config.max_position_embeddings - 1);
  const bool pair = data[1] & 1;
  const fnet::Tokenizer& tokenizer = (data[1] & 2) ? *p.lower_no_accents : *p.tokenizer;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  fnet::Encoding enc;
  try {
    if (pair) {
      const std::size_t tab = text.find('\t');
      const std::string_view a = text.substr(0, tab);
      const std::string_view b = tab == std::string_view::npos ? std::string_view() : text.substr(tab + 1);
      if (max_length < 3) return 0;
      enc = tokenizer.encode_pair(a, b, max_length);
      check_spans(enc, a, 0);
      check_spans(enc, b, 1);
    } else {
      enc = tokenizer.encode(text, max_length);
      check_spans(enc, text, 0);
      // Unpadded and untruncated tokenization agree with the padded encoding on their common prefix.
      const std::vector<std::string> pieces = tokenizer.tokenize(text);
      const std::vector<std::int32_t> ids = tokenizer.convert_tokens_to_ids(pieces);
      for (std::size_t i = 0; i < ids.size() && i + 2 < enc.input_ids.size(); ++i)
        if (ids[i] != enc.input_ids[i + 1]) fnet_fuzz::invariant_failed("tokenize and encode disagree");
    }
  } catch (const std::invalid_argument&) {
    return 0;  // text that is not UTF-8
  }

  if (static_cast<std::int64_t>(enc.input_ids.size()) != max_length || enc.token_type_ids.size() != enc.input_ids.size())
    fnet_fuzz::invariant_failed("encoding is not exactly max_length long");
  if (enc.input_ids.front() != tokenizer.cls_id()) fnet_fuzz::invariant_failed("encoding does not start with [CLS]");
  for (std::size_t i = 0; i < enc.input_ids.size(); ++i) {
    if (enc.input_ids[i] < 0 || enc.input_ids[i] >= tokenizer.vocab_size())
      fnet_fuzz::invariant_failed("id out of range");
    if (enc.token_type_ids[i] != 0 && enc.token_type_ids[i] != 1) fnet_fuzz::invariant_failed("token type not 0/1");
  }

  fnet::TokenIds ids(1, max_length), types(1, max_length);
  for (std::int64_t i = 0; i < max_length; ++i) {
    ids(0, i) = enc.input_ids[static_cast<std::size_t>(i)];
    types(0, i) = enc.token_type_ids[static_cast<std::size_t>(i)];
  }
  const auto out = p.model->forward(ids, types, p.ws);  // valid input: must not throw
  for (Eigen::Index i = 0; i < out.logits.size(); ++i)
    if (!std::isfinite(out.logits.data()[i])) fnet_fuzz::invariant_failed("non-finite logit from finite weights");
  return 0;
}
