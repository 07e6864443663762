// fill_mask (tokenizer → encoder → masked-LM head → softmax → top-k) against the PyTorch reference's
// top-5 for masked sentences, on a small random model over a real SentencePiece vocabulary. Run in
// double so near-ties cannot reorder the ranking: ids identical, probabilities within 1e-9.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include <fnet/models/masked_lm.hpp>

TEST_CASE("fill_mask matches the reference's top-5 at every [MASK]", "[mlm]") {
  const std::string dir = std::string(FNET_TEST_BINARY_DIR) + "/fill_mask";
  const auto model = fnet::FNetForMaskedLM<double>::load(dir + "/model");
  const fnet::Tokenizer tokenizer(dir + "/model");
  std::ifstream in(dir + "/expected.json");
  const nlohmann::json cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() == 3);
  fnet::Workspace<double> ws;
  for (const auto& c : cases) {
    const std::string text = c["text"];
    CAPTURE(text);
    const auto fills = fnet::fill_mask(model, tokenizer, text, 5, ws, c["max_length"].get<std::int64_t>());
    REQUIRE(fills.size() == c["masks"].size());
    REQUIRE(!fills.empty());
    for (std::size_t m = 0; m < fills.size(); ++m) {
      REQUIRE(fills[m].size() == 5);
      for (std::size_t k = 0; k < 5; ++k) {
        CHECK(fills[m][k].id == c["masks"][m][k]["id"].get<std::int32_t>());
        CHECK(std::abs(fills[m][k].probability - c["masks"][m][k]["probability"].get<double>()) <= 1e-9);
        CHECK(fills[m][k].token == tokenizer.id_to_piece(fills[m][k].id));
      }
    }
  }
}
