// Every bad input gets a clear, typed error: one test per kind of bad model directory, config.json,
// checkpoint and model input, each asserting the exception type and fragments of its message. Also:
// NaN/Inf weights propagate to the outputs (they are not an error, and must not crash), F16/BF16/F64
// checkpoints load and match F32, and configs claiming huge sizes are refused before anything
// config-sized is allocated. Low-level safetensors header cases live in test_safetensors.cpp and
// tokenizer file errors in test_tokenizer.cpp.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/message_matcher.hpp"
#include <fnet/fnet.hpp>

#include "support/model_writer.hpp"

namespace fs = std::filesystem;
using fnet_test::SafetensorsWriter;

namespace {

using fnet_test::MessageContains;

MessageContains Msg(std::initializer_list<std::string> fragments) { return MessageContains(fragments); }

// A fresh, empty scratch directory per test.
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(FNET_TEST_BINARY_DIR) / "errors_scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  REQUIRE(f.good());
}

const fnet::Config kConfig = fnet_test::tiny_config();
constexpr std::int64_t H = 24;  // kConfig.hidden_size

// A valid model directory (random weights) to break one thing in.
fs::path good_model(const std::string& name) {
  const fs::path dir = scratch(name);
  fnet_test::write_random_model(dir, kConfig);
  return dir;
}

// config.json of `dir` with one field replaced.
void patch_config(const fs::path& dir, const std::string& field, const nlohmann::json& value) {
  nlohmann::json j = kConfig.to_json();
  j[field] = value;
  fnet_test::write_config(dir, j);
}

fnet::TokenIds ids_of(std::initializer_list<std::initializer_list<std::int32_t>> rows) {
  const auto cols = static_cast<Eigen::Index>(rows.begin()->size());
  fnet::TokenIds t(static_cast<Eigen::Index>(rows.size()), cols);
  Eigen::Index r = 0;
  for (const auto& row : rows) {
    Eigen::Index c = 0;
    for (std::int32_t v : row) t(r, c++) = v;
    ++r;
  }
  return t;
}

// Outputs copied out of the workspace.
struct Outputs {
  std::vector<float> hidden, pooled, logits;
};

Outputs run(const fnet::FNetModel<float>& model, const fnet::TokenIds& ids) {
  fnet::Workspace<float> ws;
  const auto out = model.forward(ids, ws);
  return {std::vector<float>(out.hidden_states.data(), out.hidden_states.data() + out.hidden_states.size()),
          std::vector<float>(out.pooled.data(), out.pooled.data() + out.pooled.size()),
          std::vector<float>(out.logits.data(), out.logits.data() + out.logits.size())};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  return worst;
}

std::string deeply_nested_array(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// The model directory and its files

TEST_CASE("load_model: directory missing or not a directory", "[errors][load]") {
  const fs::path dir = scratch("no_dir");
  REQUIRE_THROWS_MATCHES(fnet::load_model((dir / "absent").string()), fnet::io_error,
                         Msg({"absent", "does not exist or is not a directory"}));
  write_text(dir / "plain_file", "x");
  REQUIRE_THROWS_MATCHES(fnet::load_model((dir / "plain_file").string()), fnet::io_error,
                         Msg({"plain_file", "not a directory"}));
}

TEST_CASE("load_model: config.json or model.safetensors absent", "[errors][load]") {
  const fs::path dir = good_model("files_absent");
  fs::remove(dir / "model.safetensors");
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::io_error, Msg({"model.safetensors", "cannot open"}));
  fs::remove(dir / "config.json");
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::io_error, Msg({"config.json", "cannot open"}));
}

TEST_CASE("load_model: a directory where a file should be", "[errors][load]") {
  SECTION("config.json") {
    const fs::path dir = good_model("config_is_dir");
    fs::remove(dir / "config.json");
    fs::create_directory(dir / "config.json");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::io_error, Msg({"config.json", "not a regular file"}));
  }
  SECTION("model.safetensors") {
    const fs::path dir = good_model("weights_is_dir");
    fs::remove(dir / "model.safetensors");
    fs::create_directory(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::io_error,
                           Msg({"model.safetensors", "not a regular file"}));
  }
}

TEST_CASE("load_model: unreadable files", "[errors][load]") {
  if (::geteuid() == 0) {
    WARN("running as root: permission bits do not stop reads, skipping the unreadable-file checks");
    return;
  }
  const fs::path dir = good_model("unreadable");
  fs::permissions(dir / "model.safetensors", fs::perms::none);
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::io_error, Msg({"model.safetensors", "cannot open"}));
  fs::permissions(dir / "config.json", fs::perms::none);
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::io_error, Msg({"config.json", "cannot open"}));
  fs::permissions(dir / "config.json", fs::perms::owner_all);
  fs::permissions(dir / "model.safetensors", fs::perms::owner_all);
}

TEST_CASE("load_model: empty model.safetensors", "[errors][load]") {
  const fs::path dir = good_model("empty_weights");
  write_text(dir / "model.safetensors", "");
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error, Msg({"model.safetensors", "truncated"}));
}

// ---------------------------------------------------------------------------------------------------
// config.json

TEST_CASE("config.json: not JSON", "[errors][config]") {
  const fs::path dir = good_model("config_not_json");
  for (const char* text : {"", "{\"vocab_size\": 120", "vocab_size = 120", "{\"a\": 1} trailing garbage"}) {
    INFO("config.json = " << text);
    write_text(dir / "config.json", text);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error, Msg({"config.json", "not valid JSON"}));
  }
}

TEST_CASE("config.json: not an object", "[errors][config]") {
  const fs::path dir = good_model("config_not_object");
  const std::pair<const char*, const char*> cases[] = {
      {"[1, 2]", "array"}, {"42", "number"}, {"\"fnet\"", "string"}, {"null", "null"}};
  for (const auto& [text, kind] : cases) {
    INFO("config.json = " << text);
    write_text(dir / "config.json", text);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"config.json", "expected a JSON object at top level", kind}));
  }
}

TEST_CASE("config.json: fields of the wrong type", "[errors][config]") {
  const fs::path dir = good_model("config_types");
  struct Case {
    const char* field;
    nlohmann::json value;
    std::string fragment;
  };
  const Case cases[] = {
      {"vocab_size", "120", "field 'vocab_size' must be an integer; found string \"120\""},
      {"hidden_size", 24.5, "field 'hidden_size' must be an integer; found number 24.5"},
      {"num_hidden_layers", true, "field 'num_hidden_layers' must be an integer; found boolean"},
      {"intermediate_size", nlohmann::json::array({40}), "field 'intermediate_size' must be an integer; found array"},
      {"layer_norm_eps", "1e-12", "field 'layer_norm_eps' must be a number; found string"},
      {"hidden_act", 3, "field 'hidden_act' must be a string; found number"},
      {"id2label", nlohmann::json::array({"a", "b"}), "field 'id2label' must be an object; found array"},
      {"id2label", {{"0", "a"}, {"1", 7}}, "field 'id2label[1]' must be a string; found number"},
      {"id2label", {{"zero", "a"}}, "field 'id2label' has key 'zero'"},
  };
  for (const auto& c : cases) {
    INFO(c.field << " = " << c.value.dump());
    patch_config(dir, c.field, c.value);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error, Msg({"config.json", c.fragment}));
  }
}

TEST_CASE("config.json: zero, negative and non-finite sizes", "[errors][config]") {
  const fs::path dir = good_model("config_sizes");
  for (const char* field : {"vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size",
                            "max_position_embeddings", "type_vocab_size"}) {
    for (int value : {0, -3}) {
      INFO(field << " = " << value);
      patch_config(dir, field, value);
      REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                             Msg({"config.json", std::string("field '") + field + "' must be positive; found " +
                                                     std::to_string(value)}));
    }
  }
  for (double eps : {0.0, -1e-12}) {
    patch_config(dir, "layer_norm_eps", eps);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"field 'layer_norm_eps' must be positive and finite"}));
  }
  // JSON has no literal for infinity and nlohmann refuses numbers that overflow a double.
  write_text(dir / "config.json", "{\"layer_norm_eps\": 1e999}");
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error, Msg({"not valid JSON", "1e999"}));
  // from_json on a document built in memory can carry an infinity.
  nlohmann::json j = kConfig.to_json();
  j["layer_norm_eps"] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_MATCHES(fnet::Config::from_json(j), fnet::format_error,
                         Msg({"field 'layer_norm_eps' must be positive and finite; found inf"}));
  for (int pad : {-1, 120}) {
    patch_config(dir, "pad_token_id", pad);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"field 'pad_token_id' must be in [0, vocab_size=120)", std::to_string(pad)}));
  }
}

TEST_CASE("config.json: sizes too large for the library", "[errors][config]") {
  const fs::path dir = good_model("config_huge");
  patch_config(dir, "vocab_size", std::int64_t{1} << 40);
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                         Msg({"field 'vocab_size' is 1099511627776, larger than 2147483647"}));
  patch_config(dir, "hidden_size", std::numeric_limits<std::uint64_t>::max());
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                         Msg({"field 'hidden_size' is 18446744073709551615, too large for a 64-bit integer"}));
  // Without id2label, num_labels is a count of classes to invent names for.
  nlohmann::json j = kConfig.to_json();
  j.erase("id2label");
  j.erase("label2id");
  for (std::int64_t n : {std::int64_t{1} << 40, std::int64_t{-1}}) {
    j["num_labels"] = n;
    fnet_test::write_config(dir, j);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"field 'num_labels' must be in [0, 65536]; found " + std::to_string(n)}));
  }
}

TEST_CASE("config.json: unknown hidden_act", "[errors][config]") {
  const fs::path dir = good_model("config_act");
  patch_config(dir, "hidden_act", "swish");
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                         Msg({"config.json", "hidden_act", "unknown activation 'swish'", "gelu_new, gelu, relu"}));
}

TEST_CASE("config.json: id2label with a gap", "[errors][config]") {
  const fs::path dir = good_model("config_gap");
  patch_config(dir, "id2label", {{"0", "a"}, {"2", "c"}});
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                         Msg({"field 'id2label' must number classes 0..1 without gaps; missing 1"}));
}

TEST_CASE("config.json: id2label replaces the default labels", "[errors][config]") {
  // Regression: id2label used to be merged into the default {0: LABEL_0, 1: LABEL_1}, so a one-label
  // (regression) head read as two labels and a gap at 1 went unnoticed.
  nlohmann::json j = kConfig.to_json();
  j["id2label"] = {{"0", "score"}};
  const fnet::Config one = fnet::Config::from_json(j);
  CHECK(one.num_labels() == 1);
  CHECK(one.id2label.at(0) == "score");
  // An empty id2label is zero labels, and stays so through to_json (fuzz_config found the round trip
  // turning it into the two defaults).
  j["id2label"] = nlohmann::json::object();
  const fnet::Config none = fnet::Config::from_json(j);
  CHECK(none.num_labels() == 0);
  CHECK(fnet::Config::from_json(none.to_json()).num_labels() == 0);
  const fs::path dir = scratch("one_label");
  fnet_test::write_random_model(dir, one);
  const auto model = fnet::load_model(dir.string());
  fnet::Workspace<float> ws;
  CHECK(model.forward(ids_of({{1, 2, 3}}), ws).logits.dimension(1) == 1);
}

TEST_CASE("config.json: id2label inconsistent with the classifier's shape", "[errors][config][load]") {
  const fs::path dir = scratch("labels_vs_classifier");
  fnet::Config two = kConfig;
  two.id2label = {{0, "neg"}, {1, "pos"}};
  fnet_test::write_random_model(dir, two);  // classifier.weight [2, H]
  nlohmann::json j = two.to_json();
  j["id2label"] = {{"0", "neg"}, {"1", "pos"}, {"2", "neutral"}};
  j.erase("label2id");
  fnet_test::write_config(dir, j);
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::shape_error,
                         Msg({"model.safetensors", "tensor 'classifier.weight' has wrong shape",
                              "expected [3, 24] (num_labels from config.json id2label), found [2, 24]"}));
}

TEST_CASE("config.json: a deeply nested value is reported, not printed recursively", "[errors][config]") {
  // nlohmann's dump() recurses per level; an error message must not overflow the stack printing it.
  const fs::path dir = good_model("config_deep");
  write_text(dir / "config.json", "{\"vocab_size\": " + deeply_nested_array(200000) + "}");
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                         Msg({"field 'vocab_size' must be an integer; found array a deeply nested array"}));
  CHECK(fnet::detail::json_excerpt(nlohmann::json::parse(deeply_nested_array(100000))) ==
        "a deeply nested array of 1 elements");
  CHECK(fnet::detail::json_excerpt(nlohmann::json::parse("[[1, 2], {\"a\": \"\xC3\xA9\"}]")) ==
        "[[1,2],{\"a\":\"\\u00e9\"}]");
  CHECK(fnet::detail::json_excerpt(std::string(200, 'x'), 10) == "\"xxxxxxxxx...");
}

// ---------------------------------------------------------------------------------------------------
// model.safetensors against the config

TEST_CASE("checkpoint: the parameter list load_model checks is exactly the model's", "[errors][load]") {
  // detail::for_each_parameter_shape lists parameters without allocating a model; it must agree with
  // visit_parameters (names, shapes and order), with and without the classification head.
  for (bool head : {true, false}) {
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> listed, visited;
    fnet::detail::for_each_parameter_shape(kConfig, head, [&](const std::string& n, const std::vector<std::int64_t>& s) {
      listed.emplace_back(n, s);
      return true;
    });
    fnet::FNetModel<float> model(kConfig, head);
    model.visit_parameters([&](const fnet::ParameterRef<float>& p) { visited.emplace_back(p.name, p.shape); });
    CHECK(listed == visited);
    CHECK(listed.size() == 7 + 8 * 2 + 2 + (head ? 2 : 0));
  }
}

TEST_CASE("checkpoint: missing tensors", "[errors][load]") {
  const fs::path dir = scratch("missing_tensor");
  const auto weights = fnet_test::random_weights(kConfig, true, 1);
  fnet_test::write_config(dir, kConfig.to_json());
  SECTION("one") {
    SafetensorsWriter w = fnet_test::checkpoint(kConfig, true, weights);
    w.remove("encoder.layer.1.output.dense.bias");
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"model.safetensors", "missing tensor 'encoder.layer.1.output.dense.bias'"}));
  }
  SECTION("half of the classification head") {
    SafetensorsWriter w = fnet_test::checkpoint(kConfig, true, weights);
    w.remove("classifier.weight");
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error, Msg({"missing tensor 'classifier.weight'"}));
  }
  SECTION("a whole layer (config has more layers than the checkpoint)") {
    fnet::Config three = kConfig;
    three.num_hidden_layers = 3;
    fnet_test::write_config(dir, three.to_json());
    fnet_test::checkpoint(kConfig, true, weights).write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"missing tensor 'encoder.layer.2.fourier.output.LayerNorm.weight'", "(8 in all)"}));
  }
  SECTION("2^31-1 layers claimed: refused quickly, without allocating them") {
    fnet::Config many = kConfig;
    many.num_hidden_layers = 2147483647;
    fnet_test::write_config(dir, many.to_json());
    fnet_test::checkpoint(kConfig, true, weights).write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"missing tensor 'encoder.layer.2.", "(1000 or more in all)"}));
  }
}

TEST_CASE("checkpoint: unexpected tensors", "[errors][load]") {
  const fs::path dir = scratch("unexpected_tensor");
  fnet_test::write_config(dir, kConfig.to_json());
  SafetensorsWriter w = fnet_test::checkpoint(kConfig, true, fnet_test::random_weights(kConfig, true, 1));
  SECTION("a stray name") {
    w.add("encoder.layer.0.fourier.output.dense.weight", {H, H}, std::vector<float>(H * H, 0.f));
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"unexpected tensor 'encoder.layer.0.fourier.output.dense.weight'"}));
  }
  SECTION("config has fewer layers than the checkpoint") {
    fnet::Config one = kConfig;
    one.num_hidden_layers = 1;
    fnet_test::write_config(dir, one.to_json());
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"unexpected tensor 'encoder.layer.1."}));
  }
}

TEST_CASE("checkpoint: mis-shaped tensors", "[errors][load]") {
  const fs::path dir = scratch("misshaped_tensor");
  fnet_test::write_config(dir, kConfig.to_json());
  SafetensorsWriter w = fnet_test::checkpoint(kConfig, true, fnet_test::random_weights(kConfig, true, 1));
  SECTION("transposed weight") {
    w.add("encoder.layer.0.intermediate.dense.weight", {H, 40}, std::vector<float>(H * 40, 0.f));
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::shape_error,
                           Msg({"tensor 'encoder.layer.0.intermediate.dense.weight' has wrong shape",
                                "expected [40, 24], found [24, 40]"}));
  }
  SECTION("extra dimension") {
    w.add("pooler.dense.bias", {1, H}, std::vector<float>(H, 0.f));
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::shape_error,
                           Msg({"tensor 'pooler.dense.bias' has wrong shape", "expected [24], found [1, 24]"}));
  }
  SECTION("config hidden_size disagrees with the checkpoint") {
    fnet::Config wide = kConfig;
    wide.hidden_size = 32;
    fnet_test::write_config(dir, wide.to_json());
    w.write(dir / "model.safetensors");
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::shape_error,
                           Msg({"tensor 'embeddings.word_embeddings.weight' has wrong shape",
                                "expected [120, 32], found [120, 24]"}));
  }
}

TEST_CASE("checkpoint: huge sizes in config.json are refused before anything is allocated", "[errors][load]") {
  // Each of these configs would need terabytes; the checkpoint has to back the shapes first.
  const fs::path dir = scratch("huge_claims");
  fnet_test::checkpoint(kConfig, true, fnet_test::random_weights(kConfig, true, 1)).write(dir / "model.safetensors");
  struct Case {
    const char* field;
    std::int64_t value;
    std::string fragment;
  };
  const Case cases[] = {
      {"hidden_size", 1000000, "'embeddings.word_embeddings.weight' has wrong shape; expected [120, 1000000]"},
      {"vocab_size", 2147483647, "'embeddings.word_embeddings.weight' has wrong shape; expected [2147483647, 24]"},
      {"max_position_embeddings", 2147483647, "'embeddings.position_embeddings.weight' has wrong shape"},
      {"type_vocab_size", 2147483647, "'embeddings.token_type_embeddings.weight' has wrong shape"},
      {"intermediate_size", 2147483647, "'encoder.layer.0.intermediate.dense.weight' has wrong shape"},
  };
  for (const auto& c : cases) {
    INFO(c.field << " = " << c.value);
    patch_config(dir, c.field, c.value);
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::shape_error, Msg({c.fragment}));
  }
}

TEST_CASE("checkpoint: a header claiming a huge tensor the config agrees with", "[errors][load]") {
  // config.json and the header agree on a 2^31 x 24 embedding, but the file holds 4 bytes: the
  // safetensors reader checks the claimed size against the file before the model is allocated.
  const fs::path dir = scratch("huge_header");
  fnet::Config big = kConfig;
  big.vocab_size = 2147483647;
  fnet_test::write_config(dir, big.to_json());
  SafetensorsWriter w = fnet_test::checkpoint(kConfig, true, fnet_test::random_weights(kConfig, true, 1));
  w.remove("embeddings.word_embeddings.weight");
  std::string bytes = w.bytes();
  // Rewrite the header by hand: the writer only writes consistent offsets.
  const std::uint64_t header_len = [&] {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return v;
  }();
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_len));
  const std::string data = bytes.substr(8 + header_len);
  const std::uint64_t claimed = std::uint64_t{2147483647} * 24 * 4;
  header["embeddings.word_embeddings.weight"] = {
      {"dtype", "F32"}, {"shape", {2147483647, 24}}, {"data_offsets", {data.size(), data.size() + claimed}}};
  std::string h = header.dump();
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((h.size() >> (8 * i)) & 0xFF));
  write_text(dir / "model.safetensors", out + h + data);
  REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                         Msg({"tensor 'embeddings.word_embeddings.weight'", "run past the end"}));
}

TEST_CASE("checkpoint: deeply nested header values are reported without recursion", "[errors][load]") {
  const fs::path dir = good_model("deep_header");
  for (const char* field : {"shape", "data_offsets"}) {
    INFO(field);
    // shape: [deep, 1] fails on shape[0]; data_offsets: [deep] is not a [begin, end] pair.
    const bool shape = std::string(field) == "shape";
    std::string entry = std::string("{\"dtype\": \"F32\", \"") + field + "\": [" + deeply_nested_array(200000) +
                        (shape ? ", 1]" : "]");
    entry += shape ? ", \"data_offsets\": [0, 4]" : ", \"shape\": [1]";
    entry += "}";
    std::string header = "{\"t\": " + entry + "}";
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
    write_text(dir / "model.safetensors", out + header + std::string(4, '\0'));
    REQUIRE_THROWS_MATCHES(fnet::load_model(dir.string()), fnet::format_error,
                           Msg({"tensor 't'", "a deeply nested array"}));
  }
}

TEST_CASE("checkpoint: task-model names with the fnet. prefix load the same", "[errors][load]") {
  const fs::path plain = scratch("prefix_plain"), prefixed = scratch("prefix_fnet");
  const auto weights = fnet_test::write_random_model(plain, kConfig, 5);
  fnet_test::write_config(prefixed, kConfig.to_json());
  SafetensorsWriter w;
  const auto shapes = fnet_test::parameter_shapes(kConfig, true);
  for (const auto& [name, values] : weights)
    w.add(name.rfind("classifier.", 0) == 0 ? name : "fnet." + name, shapes.at(name), values);
  w.write(prefixed / "model.safetensors");
  const auto ids = ids_of({{1, 5, 9, 2}});
  CHECK(run(fnet::load_model(plain.string()), ids).logits == run(fnet::load_model(prefixed.string()), ids).logits);
}

TEST_CASE("checkpoint: F16, BF16 and F64 weights load and match F32", "[errors][load][dtype]") {
  const auto weights = fnet_test::random_weights(kConfig, true, 11);
  const fs::path f32_dir = scratch("dtype_f32");
  fnet_test::write_config(f32_dir, kConfig.to_json());
  fnet_test::checkpoint(kConfig, true, weights, "F32").write(f32_dir / "model.safetensors");
  auto reference = fnet::load_model(f32_dir.string());
  const auto ids = ids_of({{1, 17, 33, 2, 0, 0}, {1, 119, 4, 8, 15, 2}});
  const Outputs want = run(reference, ids);

  struct Case {
    const char* dtype;
    float (*round)(float);
    double tolerance;  // max abs difference of any output from the F32 model
  };
  const Case cases[] = {
      {"F64", [](float v) { return v; }, 0.0},
      {"F16", [](float v) { return fnet::detail::f16_to_float(fnet_test::float_to_f16(v)); }, 5e-3},
      {"BF16", [](float v) { return fnet::detail::bf16_to_float(fnet_test::float_to_bf16(v)); }, 4e-2},
  };
  for (const auto& c : cases) {
    INFO("dtype " << c.dtype);
    const fs::path dir = scratch(std::string("dtype_") + c.dtype);
    fnet_test::write_config(dir, kConfig.to_json());
    fnet_test::checkpoint(kConfig, true, weights, c.dtype).write(dir / "model.safetensors");
    auto model = fnet::load_model(dir.string());
    // Every weight is exactly the dtype's rounding of the F32 value...
    std::size_t mismatches = 0;
    model.visit_parameters([&](const fnet::ParameterRef<float>& p) {
      const std::vector<float>& w = weights.at(p.name);
      for (std::size_t i = 0; i < w.size(); ++i)
        if (p.data[i] != c.round(w[i])) ++mismatches;
    });
    CHECK(mismatches == 0);
    // ...so the outputs differ from the F32 model's only by that rounding.
    const Outputs got = run(model, ids);
    CHECK(max_abs_diff(got.hidden, want.hidden) <= c.tolerance);
    CHECK(max_abs_diff(got.pooled, want.pooled) <= c.tolerance);
    CHECK(max_abs_diff(got.logits, want.logits) <= c.tolerance);
    // And a double model from the same file agrees with the float one.
    auto model64 = fnet::load_model<double>(dir.string());
    fnet::Workspace<double> ws;
    const auto out64 = model64.forward(ids, ws);
    for (Eigen::Index i = 0; i < out64.logits.size(); ++i) CHECK(std::abs(out64.logits.data()[i] - got.logits[i]) < 1e-4);
  }
}

// ---------------------------------------------------------------------------------------------------
// Model inputs: std::invalid_argument naming the value and its position

TEST_CASE("forward: bad inputs", "[errors][inputs]") {
  const fs::path dir = good_model("inputs");
  const auto model = fnet::load_model(dir.string());
  fnet::Workspace<float> ws;

  SECTION("token id >= vocab_size") {
    REQUIRE_THROWS_MATCHES(model.forward(ids_of({{1, 2, 3}, {1, 2, 120}}), ws), std::invalid_argument,
                           Msg({"input id 120 at (1, 2) is outside [0, vocab_size=120)"}));
  }
  SECTION("negative token id") {
    REQUIRE_THROWS_MATCHES(model.forward(ids_of({{-1, 2, 3}}), ws), std::invalid_argument,
                           Msg({"input id -1 at (0, 0) is outside [0, vocab_size=120)"}));
  }
  SECTION("token type id >= type_vocab_size, or negative") {
    REQUIRE_THROWS_MATCHES(model.forward(ids_of({{1, 2, 3}}), ids_of({{0, 3, 0}}), ws), std::invalid_argument,
                           Msg({"token type id 3 at (0, 1) is outside [0, type_vocab_size=3)"}));
    REQUIRE_THROWS_MATCHES(model.forward(ids_of({{1, 2, 3}}), ids_of({{0, 0, -2}}), ws), std::invalid_argument,
                           Msg({"token type id -2 at (0, 2)"}));
  }
  SECTION("sequence longer than max_position_embeddings") {
    fnet::TokenIds ids(1, 49);
    ids.setConstant(5);
    REQUIRE_THROWS_MATCHES(model.forward(ids, ws), std::invalid_argument,
                           Msg({"sequence length 49 exceeds max_position_embeddings 48"}));
  }
  SECTION("empty batch") {
    fnet::TokenIds ids(0, 4);
    REQUIRE_THROWS_MATCHES(model.forward(ids, ws), std::invalid_argument, Msg({"empty batch", "(0, 4)"}));
  }
  SECTION("zero-length sequence") {
    fnet::TokenIds ids(2, 0);
    REQUIRE_THROWS_MATCHES(model.forward(ids, ws), std::invalid_argument, Msg({"zero-length sequence", "(2, 0)"}));
  }
  SECTION("token types of another shape") {
    REQUIRE_THROWS_MATCHES(model.forward(ids_of({{1, 2, 3, 4}, {1, 2, 3, 4}}), ids_of({{0, 0, 0, 0}}), ws),
                           std::invalid_argument,
                           Msg({"token type ids have shape (1, 4); expected (2, 4) like the input ids"}));
    REQUIRE_THROWS_MATCHES(model.forward(ids_of({{1, 2, 3, 4}}), ids_of({{0, 0, 0}}), ws), std::invalid_argument,
                           Msg({"token type ids have shape (1, 3); expected (1, 4)"}));
  }
  SECTION("a workspace stays usable after a rejected input") {
    const auto ids = ids_of({{1, 7, 9, 2}});
    const Outputs fresh = run(model, ids);
    fnet::TokenIds big(3, 48);
    big.setConstant(4);
    model.forward(big, ws);  // grow the buffers first, then fail
    REQUIRE_THROWS_AS(model.forward(ids_of({{1, 7, 999, 2}}), ws), std::invalid_argument);
    const auto out = model.forward(ids, ws);
    CHECK(std::vector<float>(out.logits.data(), out.logits.data() + out.logits.size()) == fresh.logits);
  }
}

// ---------------------------------------------------------------------------------------------------
// NaN and Inf weights: not detected at load time (checkpoints are not scanned), but never lost either:
// the Fourier transform mixes every position of a sequence, so one non-finite value reaching a
// sequence makes all of that sequence's outputs NaN, and leaves the other sequences of the batch alone.

TEST_CASE("NaN/Inf weights propagate to the outputs of the sequences they reach", "[errors][nan]") {
  const auto clean = fnet_test::random_weights(kConfig, true, 3);
  const auto ids = ids_of({{1, 5, 6, 2}, {1, 7, 8, 2}});  // token 5 only in sequence 0
  auto outputs_for = [&](const std::map<std::string, std::vector<float>>& weights, const char* dtype,
                         const std::string& name) {
    const fs::path dir = scratch(name);
    fnet_test::write_config(dir, kConfig.to_json());
    fnet_test::checkpoint(kConfig, true, weights, dtype).write(dir / "model.safetensors");
    return run(fnet::load_model(dir.string()), ids);
  };
  auto all_nan = [](const std::vector<float>& v, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      if (!std::isnan(v[i])) return false;
    return true;
  };
  auto tail = [](const std::vector<float>& v, std::size_t from) { return std::vector<float>(v.begin() + from, v.end()); };
  const std::size_t seq_hidden = 4 * H, labels = 3;
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};

  for (const char* dtype : {"F32", "F16"}) {
    const Outputs base = outputs_for(clean, dtype, "nan_clean");
    for (const float bad : bad_values) {
      INFO("word embedding of token 5 = " << bad << ", stored as " << dtype);
      auto w = clean;
      w["embeddings.word_embeddings.weight"][5 * H + 3] = bad;
      const Outputs got = outputs_for(w, dtype, "nan_word");
      CHECK(all_nan(got.hidden, 0, seq_hidden));
      CHECK(all_nan(got.pooled, 0, H));
      CHECK(all_nan(got.logits, 0, labels));
      // Sequence 1 never reads token 5: bit-identical to the clean model.
      CHECK(tail(got.hidden, seq_hidden) == tail(base.hidden, seq_hidden));
      CHECK(tail(got.pooled, H) == tail(base.pooled, H));
      CHECK(tail(got.logits, labels) == tail(base.logits, labels));
    }
  }
  for (const float bad : bad_values) {
    INFO("encoder.layer.1.output.dense.weight[0, 7] = " << bad);
    auto w = clean;
    w["encoder.layer.1.output.dense.weight"][7] = bad;
    const Outputs got = outputs_for(w, "F32", "nan_layer");
    CHECK(all_nan(got.hidden, 0, got.hidden.size()));
    CHECK(all_nan(got.pooled, 0, got.pooled.size()));
    CHECK(all_nan(got.logits, 0, got.logits.size()));
  }
}

// ---- task heads and loading by architecture ------------------------------------------------------------

namespace {

// A task checkpoint: the encoder under "fnet." plus `head` tensors, config.json naming `architecture`.
fs::path head_model(const std::string& name, const std::string& architecture,
                    const std::map<std::string, std::vector<std::int64_t>>& head) {
  const fs::path dir = scratch(name);
  fnet::Config c = kConfig;
  c.architectures = {architecture};
  auto weights = fnet_test::random_weights(c, false, 3);
  SafetensorsWriter w;
  const auto shapes = fnet_test::parameter_shapes(c, false);
  for (const auto& [n, values] : weights) w.add("fnet." + n, shapes.at(n), values);
  for (const auto& [n, shape] : head) {
    std::int64_t count = 1;
    for (auto d : shape) count *= d;
    w.add(n, shape, std::vector<float>(static_cast<std::size_t>(count), 0.01f));
  }
  fnet_test::write_config(dir, c.to_json());
  w.write(dir / "model.safetensors");
  return dir;
}

}  // namespace

TEST_CASE("task heads: a missing head tensor, wrong shape, unknown architecture, bad problem_type", "[errors][heads]") {
  SECTION("question answering without qa_outputs.weight") {
    const fs::path dir = head_model("qa_missing", "FNetForQuestionAnswering", {{"qa_outputs.bias", {2}}});
    CHECK_THROWS_MATCHES(fnet::load_auto_model<float>(dir.string()), fnet::format_error,
                         Msg({"model.safetensors", "missing tensor 'qa_outputs.weight'", "question-answering"}));
    CHECK_THROWS_AS(fnet::FNetForQuestionAnswering<float>::load(dir.string()), fnet::format_error);
  }
  SECTION("token classification with a classifier of the wrong width") {
    const fs::path dir = head_model("token_wrong", "FNetForTokenClassification",
                                    {{"classifier.weight", {5, H}}, {"classifier.bias", {5}}});
    CHECK_THROWS_MATCHES(fnet::load_auto_model<float>(dir.string()), fnet::shape_error,
                         Msg({"tensor 'classifier.weight' has wrong shape", "expected [3, 24]", "found [5, 24]"}));
  }
  SECTION("next-sentence prediction without its head; pre-training without the masked-LM head") {
    const fs::path nsp = head_model("nsp_missing", "FNetForNextSentencePrediction", {});
    CHECK_THROWS_MATCHES(fnet::load_auto_model<float>(nsp.string()), fnet::format_error,
                         Msg({"missing tensor 'cls.seq_relationship.weight'", "next-sentence-prediction"}));
    const fs::path pre = head_model("pretraining_missing", "FNetForPreTraining",
                                    {{"cls.seq_relationship.weight", {2, H}}, {"cls.seq_relationship.bias", {2}}});
    CHECK_THROWS_MATCHES(fnet::load_auto_model<float>(pre.string()), fnet::format_error,
                         Msg({"missing tensor 'cls.predictions.transform.dense.weight'", "masked-LM"}));
  }
  SECTION("sequence classification without its classifier") {
    const fs::path dir = head_model("sequence_missing", "FNetForSequenceClassification", {});
    CHECK_THROWS_MATCHES(fnet::load_auto_model<float>(dir.string()), fnet::format_error,
                         Msg({"missing tensor", "classifier.weight"}));
  }
  SECTION("an unknown architecture is named, with the supported ones") {
    const fs::path dir = head_model("unknown_arch", "BertForMaskedLM", {});
    CHECK_THROWS_MATCHES(fnet::load_auto_model<float>(dir.string()), fnet::format_error,
                         Msg({"architecture 'BertForMaskedLM' is not supported", "FNetForQuestionAnswering",
                              "FNetForPreTraining"}));
  }
  SECTION("problem_type: unknown, or regression with more than one label; architectures not a list") {
    const fs::path dir = good_model("problem_type");
    patch_config(dir, "problem_type", "ordinal_regression");
    CHECK_THROWS_MATCHES(fnet::load_model<float>(dir.string()), fnet::format_error,
                         Msg({"problem_type", "ordinal_regression", "regression, single_label_classification"}));
    patch_config(dir, "problem_type", "regression");  // kConfig has 3 labels
    CHECK_THROWS_MATCHES(fnet::load_model<float>(dir.string()), fnet::format_error,
                         Msg({"problem_type 'regression' needs num_labels 1", "found 3"}));
    patch_config(dir, "problem_type", nullptr);
    patch_config(dir, "architectures", "FNetModel");
    CHECK_THROWS_MATCHES(fnet::load_model<float>(dir.string()), fnet::format_error,
                         Msg({"field 'architectures' must be a list"}));
  }
  SECTION("without architectures, a checkpoint loads as what its tensors are") {
    const fs::path dir = good_model("no_architectures");  // has a classifier
    CHECK(fnet::architecture_of(dir.string()) == "FNetForSequenceClassification");
    CHECK(std::holds_alternative<fnet::FNetForSequenceClassification<float>>(fnet::load_auto_model<float>(dir.string())));
  }
}
