// Builds a tiny model through the installed headers and checks one forward pass runs.
#include <fnet/fnet.hpp>

#include <cstdio>

int main() {
  fnet::Config config;
  config.vocab_size = 100;
  config.hidden_size = 16;
  config.num_hidden_layers = 1;
  config.intermediate_size = 32;
  config.max_position_embeddings = 8;
  fnet::FNetModel<float> model(config);
  fnet::Workspace<float> ws;
  fnet::TokenIds ids(1, 8);
  ids.setConstant(5);
  const auto out = model.forward(ids, ws);
  const bool ok = out.pooled.dimension(1) == 16 && out.logits.dimension(1) == 2;
  std::printf("consumer: pooled (%ld, %ld) %s\n", long(out.pooled.dimension(0)), long(out.pooled.dimension(1)),
              ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
