// libFuzzer harness: arbitrary bytes as config.json. Config::from_file must reject the file with an
// fnet::error or return a config that validates and survives a to_json/from_json round trip unchanged.
#include <cstdint>

#include "fnet/config.hpp"
#include "fuzz_util.hpp"

namespace {

bool same(const fnet::Config& a, const fnet::Config& b) {
  return a.vocab_size == b.vocab_size && a.hidden_size == b.hidden_size && a.num_hidden_layers == b.num_hidden_layers &&
         a.intermediate_size == b.intermediate_size && a.hidden_act == b.hidden_act &&
         a.max_position_embeddings == b.max_position_embeddings && a.type_vocab_size == b.type_vocab_size &&
         a.layer_norm_eps == b.layer_norm_eps && a.pad_token_id == b.pad_token_id && a.bos_token_id == b.bos_token_id &&
         a.eos_token_id == b.eos_token_id && a.id2label == b.id2label;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fnet_fuzz::MemFile file("fuzz_config");
  file.assign(data, size);
  fnet::Config config;
  try {
    config = fnet::Config::from_file(file.path());
  } catch (const fnet::error&) {
    return 0;  // rejected with a typed error
  }
  try {
    config.validate();
    const fnet::Config again = fnet::Config::from_json(config.to_json());
    if (!same(config, again)) fnet_fuzz::invariant_failed("config changed in a to_json/from_json round trip");
  } catch (const fnet::error& e) {
    fnet_fuzz::invariant_failed("an accepted config failed validation or its round trip");
  }
  return 0;
}
