// fnet-encode: the library in a few lines. Loads a model directory, turns a sentence into token ids and
// prints the ids and the pooled output (the sentence embedding the classifier head reads).
//
//   fnet-encode [--model DIR] [--precision fp32|int8] [SENTENCE]
#include <cstdio>
#include <string>

#include <fnet/fnet.hpp>
#include <fnet/text/tokenizer.hpp>

#ifndef FNET_DEFAULT_MODEL_DIR
#define FNET_DEFAULT_MODEL_DIR "examples/models/sst2-fnet-imdb-256"
#endif

int main(int argc, char** argv) {
  std::string model_dir = FNET_DEFAULT_MODEL_DIR, sentence = "a gorgeous , witty , seductive movie .", precision = "fp32";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) model_dir = argv[++i];
    else if (a == "--precision" && i + 1 < argc) precision = argv[++i];
    else sentence = a;
  }
  try {
    const fnet::LoadOptions options{fnet::parse_precision(precision), {}};  // fp32, or int8 (quantized at load)
    const fnet::FNetModel<float> model = fnet::load_model<float>(model_dir, options);  // config.json + model.safetensors
    const fnet::Tokenizer tokenizer(model_dir);                                 // spiece.model + tokenizer_config.json
    const std::int64_t length = tokenizer.model_max_length() > 0 ? tokenizer.model_max_length()
                                                                 : model.config().max_position_embeddings;
    const fnet::BatchEncoding batch = tokenizer.encode_batch({sentence}, length);  // ids (1, length), padded

    fnet::Workspace<float> ws;  // per-thread memory; reuse it for every call
    const fnet::ModelOutput<float> out = model.forward(batch.input_ids, batch.token_type_ids, ws);

    std::printf("ids:");
    for (Eigen::Index s = 0; s < batch.input_ids.dimension(1); ++s) std::printf(" %d", batch.input_ids(0, s));
    std::printf("\npooled (%ld values):", long(out.pooled.dimension(1)));
    for (Eigen::Index h = 0; h < out.pooled.dimension(1); ++h) std::printf(" %.5f", out.pooled(0, h));
    std::printf("\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fnet-encode: %s\n", e.what());
    return 1;
  }
}
