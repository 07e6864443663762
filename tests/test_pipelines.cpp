// Every pipeline against the Python port of transformers' post-processing
// (tests/reference/pipelines_reference.py), on random-weight checkpoints written by
// tests/reference/make_pipeline_fixtures.py (the PyTorch reference model in float64, the Python tokenizer,
// then the ported post-processing):
//  * cases.json: whole pipelines (tokenize → forward → post-process) on each task and option; scores and
//    vectors within 1e-4 (float) and 1e-9 (double), labels, words, spans and answers identical;
//  * postprocess_cases.json: the post-processing alone on hand-made logits chosen so that each
//    aggregation strategy gives a different answer, the best QA span lies in the second window, the
//    top_k-before-filtering rule drops spans, the impossible answer wins, and multi_label changes the order.
// Every "word" or "answer" must equal its input sliced at [start, end) (code points, and in bytes).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fnet/fnet.hpp>
#include <fnet/pipelines/input.hpp>

namespace {

using nlohmann::json;

const std::string kFixtures = std::string(FNET_TEST_BINARY_DIR) + "/pipelines";

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": missing (the pipeline_reference fixture writes it)");
  return json::parse(in);
}

// Compares `got` with `want` recursively: same structure and keys, equal strings and integers, numbers
// within `tol`. Returns the first difference ("" when equal).
std::string compare(const json& got, const json& want, double tol, const std::string& path = "$") {
  if (want.is_number_float() || (want.is_number() && got.is_number_float())) {
    if (!got.is_number()) return path + ": expected a number, got " + got.dump();
    const double g = got.get<double>(), w = want.get<double>();
    if (!(std::abs(g - w) <= tol)) return path + ": " + std::to_string(g) + " vs expected " + std::to_string(w);
    return "";
  }
  if (want.is_number()) {
    if (!got.is_number() || got.get<std::int64_t>() != want.get<std::int64_t>()) return path + ": " + got.dump() + " vs expected " + want.dump();
    return "";
  }
  if (want.type() != got.type()) return path + ": " + got.dump().substr(0, 200) + " vs expected " + want.dump().substr(0, 200);
  if (want.is_array()) {
    if (want.size() != got.size())
      return path + ": " + std::to_string(got.size()) + " items vs expected " + std::to_string(want.size()) + ": " +
             got.dump().substr(0, 300) + " vs " + want.dump().substr(0, 300);
    for (std::size_t i = 0; i < want.size(); ++i) {
      const std::string d = compare(got[i], want[i], tol, path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (want.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (!got.contains(it.key())) return path + ": missing key '" + it.key() + "'";
      const std::string d = compare(got[it.key()], it.value(), tol, path + "." + it.key());
      if (!d.empty()) return d;
    }
    for (auto it = got.begin(); it != got.end(); ++it)
      if (!want.contains(it.key())) return path + ": unexpected key '" + it.key() + "'";
    return "";
  }
  return got == want ? "" : path + ": " + got.dump() + " vs expected " + want.dump();
}

template <class T>
T option(const json& options, const char* name, T fallback) {
  return options.contains(name) && !options[name].is_null() ? options[name].get<T>() : fallback;
}

// Slicing check: each span in a result, sliced from `text` by code points, is its word/answer.
void check_slices(const json& result, const std::string& text, const char* field) {
  const fnet::detail::CodePoints cps(text);
  auto check = [&](const json& item) {
    if (!item.is_object() || !item.contains(field)) return;
    const fnet::TextSpan s = cps.span(item["start"].get<std::int64_t>(), item["end"].get<std::int64_t>());
    INFO(item.dump());
    CHECK(cps.slice(s) == item[field].get<std::string>());
  };
  if (result.is_array())
    for (const json& item : result) check(item);
  else
    check(result);
}

template <class Scalar>
json run_case(const json& c) {
  const std::string dir = kFixtures + "/models/" + c["model"].get<std::string>();
  const std::string task = c["task"];
  const json& in = c["input"];
  const json options = c.value("options", json::object());
  fnet::Workspace<Scalar> ws(2);
  if (task == "text-classification") {
    fnet::TextClassificationOptions o;
    if (options.contains("function_to_apply") && !options["function_to_apply"].is_null())
      o.function_to_apply = fnet::parse_classification_function(options["function_to_apply"]);
    if (options.contains("top_k")) o.top_k = options["top_k"].is_null() ? std::nullopt : std::optional<std::int64_t>(options["top_k"].get<std::int64_t>());
    if (option<std::string>(options, "long_text", "truncate") == "windows") o.long_text = fnet::LongText::windows;
    o.stride = option<std::int64_t>(options, "stride", -1);
    const fnet::TextClassificationPipeline<Scalar> p(dir, o);
    return p(in.get<fnet::TextClassificationInput>(), ws);
  }
  if (task == "token-classification") {
    fnet::TokenClassificationOptions o;
    o.aggregation_strategy = fnet::parse_aggregation(option<std::string>(options, "aggregation_strategy", "none"));
    o.ignore_labels = option<std::vector<std::string>>(options, "ignore_labels", {"O"});
    const fnet::TokenClassificationPipeline<Scalar> p(dir, o);
    const json r = p(in.get<fnet::TokenClassificationInput>(), ws);
    check_slices(r, in["text"], "word");
    return r;
  }
  if (task == "question-answering") {
    fnet::QuestionAnsweringOptions o;
    o.top_k = option<std::int64_t>(options, "top_k", 1);
    o.max_answer_len = option<std::int64_t>(options, "max_answer_len", 15);
    o.handle_impossible_answer = option<bool>(options, "handle_impossible_answer", false);
    o.doc_stride = option<std::int64_t>(options, "doc_stride", -1);
    o.align_to_words = option<bool>(options, "align_to_words", true);
    const fnet::QuestionAnsweringPipeline<Scalar> p(dir, o);
    const json r = p(in.get<fnet::QuestionAnsweringInput>(), ws);
    check_slices(r, in["context"], "answer");
    return r;
  }
  if (task == "fill-mask") {
    fnet::FillMaskOptions o;
    o.top_k = option<std::int64_t>(options, "top_k", 5);
    o.targets = option<std::vector<std::string>>(options, "targets", {});
    const fnet::FillMaskPipeline<Scalar> p(dir, o);
    return p(in.get<fnet::FillMaskInput>(), ws);
  }
  if (task == "feature-extraction") {
    fnet::FeatureExtractionOptions o;
    o.pooling = fnet::parse_pooling(option<std::string>(options, "pooling", "none"));
    const fnet::FeatureExtractionPipeline<Scalar> p(dir, o);
    return p(in.get<fnet::FeatureExtractionInput>(), ws);
  }
  if (task == "zero-shot-classification") {
    fnet::ZeroShotOptions o;
    o.candidate_labels = option<std::vector<std::string>>(options, "candidate_labels", {});
    o.hypothesis_template = option<std::string>(options, "hypothesis_template", o.hypothesis_template);
    o.multi_label = option<bool>(options, "multi_label", false);
    const fnet::ZeroShotClassificationPipeline<Scalar> p(dir, o);
    return p(in.get<fnet::ZeroShotInput>(), ws);
  }
  if (task == "multiple-choice") {
    const fnet::MultipleChoicePipeline<Scalar> p(dir, {});
    return p(in.get<fnet::MultipleChoiceInput>(), ws);
  }
  throw std::runtime_error("unknown task " + task);
}

json run_postprocess(const json& c) {
  const std::string task = c["task"];
  const json& in = c["input"];
  const json options = c.value("options", json::object());
  if (task == "token-classification") {
    std::vector<fnet::TokenForTagging> tokens;
    for (const json& t : in["tokens"]) tokens.push_back({t["piece"], t["start"], t["end"], t["special"]});
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < in["id2label"].size(); ++i) labels.push_back(in["id2label"][std::to_string(i)]);
    const auto r = fnet::tag_tokens(in["text"].get<std::string>(), tokens, in["logits"].get<std::vector<std::vector<double>>>(), labels,
                                    fnet::parse_aggregation(option<std::string>(options, "aggregation_strategy", "none")),
                                    option<std::vector<std::string>>(options, "ignore_labels", {"O"}));
    const json j = r;
    check_slices(j, in["text"], "word");
    return j;
  }
  if (task == "question-answering") {
    fnet::QuestionAnsweringOptions o;
    o.top_k = option<std::int64_t>(options, "top_k", 1);
    o.max_answer_len = option<std::int64_t>(options, "max_answer_len", 15);
    o.handle_impossible_answer = option<bool>(options, "handle_impossible_answer", false);
    o.align_to_words = option<bool>(options, "align_to_words", true);
    std::vector<fnet::AnswerWindow> windows;
    for (const json& w : in["windows"])
      windows.push_back({w["start_logits"], w["end_logits"], w["sequence_ids"], w["offsets"], w["word_ids"]});
    const json j = fnet::find_answers(in["context"].get<std::string>(), windows, in["word_spans"], o);
    check_slices(j, in["context"], "answer");
    return j;
  }
  if (task == "zero-shot-classification") {
    fnet::Config config;
    config.id2label.clear();
    for (auto it = in["id2label"].begin(); it != in["id2label"].end(); ++it) config.id2label[std::stoll(it.key())] = it.value();
    const auto [entail, contradict] = fnet::nli_label_ids(config);
    return fnet::rank_candidates(in["sequence"], in["candidate_labels"], in["logits"], entail, contradict,
                                 option<bool>(options, "multi_label", false));
  }
  throw std::runtime_error("unknown post-processing task " + task);
}

}  // namespace

TEST_CASE("Pipelines match the Python reference end to end (float)", "[pipelines]") {
  for (const json& c : read_json(kFixtures + "/cases.json")) {
    INFO("case " << c["name"].get<std::string>() << " (" << c["task"].get<std::string>() << ")");
    CHECK(compare(run_case<float>(c), c["expected"], 1e-4) == "");
  }
}

TEST_CASE("Pipelines match the Python reference end to end (double)", "[pipelines]") {
  for (const json& c : read_json(kFixtures + "/cases.json")) {
    INFO("case " << c["name"].get<std::string>() << " (" << c["task"].get<std::string>() << ")");
    CHECK(compare(run_case<double>(c), c["expected"], 1e-9) == "");
  }
}

TEST_CASE("Post-processing matches the Python reference on hand-made logits", "[pipelines]") {
  const json cases = read_json(kFixtures + "/postprocess_cases.json");
  REQUIRE(cases.size() >= 8);
  for (const json& c : cases) {
    INFO("case " << c["name"].get<std::string>() << " (" << c["task"].get<std::string>() << ")");
    CHECK(compare(run_postprocess(c), c["expected"], 1e-12) == "");
  }
}

TEST_CASE("The aggregation strategies disagree on the hand-made case", "[pipelines]") {
  // The fixture's point: if two strategies gave the same answer there, a mix-up could go unnoticed.
  std::vector<json> results;
  for (const json& c : read_json(kFixtures + "/postprocess_cases.json"))
    if (c["task"] == "token-classification" && c["name"].get<std::string>() != "token_classification_keep_o") results.push_back(c["expected"]);
  REQUIRE(results.size() == 5);
  for (std::size_t a = 0; a < results.size(); ++a)
    for (std::size_t b = a + 1; b < results.size(); ++b) CHECK(results[a] != results[b]);
}

TEST_CASE("Batches of more rows than one forward pass give the results of inputs run alone", "[pipelines]") {
  // kRowsPerForward rows per pass: these inputs need 2-3 passes together, and rows of one input straddle them.
  std::string long_text;
  for (int i = 0; i < 80; ++i) long_text += "the film was good and the plot was dull but the actors were fine . ";
  fnet::TextClassificationOptions o;
  o.long_text = fnet::LongText::windows;
  o.top_k.reset();
  const fnet::TextClassificationPipeline<double> classify(kFixtures + "/models/text_classification", o);
  fnet::Workspace<double> ws(2);
  const std::vector<fnet::TextClassificationInput> inputs{{long_text, std::nullopt}, {"a short one", std::nullopt},
                                                          {long_text.substr(0, long_text.size() / 2), std::nullopt}};
  std::vector<decltype(classify)::Prepared> prepared;
  std::size_t rows = 0;
  for (const auto& in : inputs) prepared.push_back(classify.prepare(in)), rows += prepared.back().rows.size();
  REQUIRE(rows > fnet::detail::kRowsPerForward);
  const auto together = classify.run({&prepared[0], &prepared[1], &prepared[2]}, ws);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const json alone = classify(inputs[i], ws), batched = together[i];
    CHECK(compare(batched, alone, 1e-12) == "");
  }

  fnet::ZeroShotOptions z;
  for (int i = 0; i < 70; ++i) z.candidate_labels.push_back("label " + std::to_string(i));
  const fnet::ZeroShotClassificationPipeline<double> zero_shot(kFixtures + "/models/nli", z);
  const auto a = zero_shot.prepare({"a good film", {}}), b = zero_shot.prepare({"a bad film", {}});
  const auto both = zero_shot.run({&a, &b}, ws);
  CHECK(compare(json(both[1]), json(zero_shot({"a bad film", {}}, ws)), 1e-12) == "");
  CHECK(compare(json(both[0]), json(zero_shot({"a good film", {}}, ws)), 1e-12) == "");
}

TEST_CASE("Pipelines report bad inputs as std::invalid_argument", "[pipelines]") {
  fnet::Workspace<float> ws(1);
  const fnet::FillMaskPipeline<float> fill(kFixtures + "/models/masked_lm");
  CHECK_THROWS_AS(fill.prepare({"no mask here"}), std::invalid_argument);
  CHECK_THROWS_AS(fill.prepare({std::string("bad \xff utf-8 [MASK]")}), std::invalid_argument);
  const fnet::ZeroShotClassificationPipeline<float> zero_shot(kFixtures + "/models/nli");
  CHECK_THROWS_AS(zero_shot.prepare({"no labels", {}}), std::invalid_argument);
  CHECK_THROWS_AS(zero_shot.prepare({"too many", std::vector<std::string>(fnet::detail::kMaxRowsPerInput + 1, "x")}),
                  std::invalid_argument);
  const fnet::QuestionAnsweringPipeline<float> qa(kFixtures + "/models/question_answering");
  std::string long_question;
  for (int i = 0; i < 40; ++i) long_question += "why ";
  CHECK_THROWS_AS(qa.prepare({long_question, "a context"}), std::invalid_argument);
  const fnet::MultipleChoicePipeline<float> mc(kFixtures + "/models/multiple_choice");
  CHECK_THROWS_AS(mc.prepare({"no choices", {}}), std::invalid_argument);
}
