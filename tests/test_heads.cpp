// Every Hugging Face FNet head against the PyTorch reference (tests/reference/fnet_reference.py HEADS),
// loaded by architecture (load_auto_model) from small random checkpoints written by
// tests/reference/make_head_fixtures.py: odd sizes, F32 and F16 storage, with and without the "fnet."
// prefix, tied and untied masked-LM decoders, the three sequence-classification problem types.
// Max abs error ≤ 1e-4 (float), ≤ 1e-9 (double). Teeth: a head reading the wrong encoder output (pooled
// instead of sequence output or the reverse) must miss by at least 10× the float tolerance.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <fnet/fnet.hpp>

namespace {

const std::string kFixtures = std::string(FNET_TEST_BINARY_DIR) + "/heads";

using Outputs = std::map<std::string, std::vector<double>>;

std::vector<double> read_all(const fnet::detail::SafetensorsFile& file, const std::string& name) {
  const auto& info = file.info(name);
  std::int64_t count = 1;
  for (auto d : info.shape) count *= d;
  std::vector<double> out(static_cast<std::size_t>(count));
  file.read<double>(name, info.shape, out.data());
  return out;
}

template <class T, int Rank>
std::vector<double> values(const fnet::TensorView<T, Rank>& t) {
  return std::vector<double>(t.data(), t.data() + t.size());
}

// Runs the model `dir` loads as on the fixture's inputs; returns its outputs by Hugging Face name.
template <class Scalar>
Outputs run(const std::string& dir, const fnet::detail::SafetensorsFile& expected, std::string& architecture) {
  const fnet::AutoModel<Scalar> model = fnet::load_auto_model<Scalar>(dir);
  architecture = fnet::supported_architectures()[model.index()];
  const auto shape = expected.info("input_ids").shape;
  const std::vector<double> ids = read_all(expected, "input_ids"), types = read_all(expected, "token_type_ids");
  fnet::Workspace<Scalar> ws(2);
  Outputs out;
  if (const auto* mc = std::get_if<fnet::FNetForMultipleChoice<Scalar>>(&model)) {
    fnet::ChoiceTokenIds i(shape[0], shape[1], shape[2]), t(shape[0], shape[1], shape[2]);
    for (Eigen::Index k = 0; k < i.size(); ++k) i.data()[k] = std::int32_t(ids[std::size_t(k)]), t.data()[k] = std::int32_t(types[std::size_t(k)]);
    out["logits"] = values(mc->forward(i, t, ws));
    return out;
  }
  fnet::TokenIds i(shape[0], shape[1]), t(shape[0], shape[1]);
  for (Eigen::Index k = 0; k < i.size(); ++k) i.data()[k] = std::int32_t(ids[std::size_t(k)]), t.data()[k] = std::int32_t(types[std::size_t(k)]);
  if (const auto* m = std::get_if<fnet::FNetForTokenClassification<Scalar>>(&model)) {
    out["logits"] = values(m->forward(i, t, ws).logits);
  } else if (const auto* m = std::get_if<fnet::FNetForQuestionAnswering<Scalar>>(&model)) {
    const auto o = m->forward(i, t, ws);
    out["start_logits"] = values(o.start_logits);
    out["end_logits"] = values(o.end_logits);
  } else if (const auto* m = std::get_if<fnet::FNetForNextSentencePrediction<Scalar>>(&model)) {
    out["logits"] = values(m->forward(i, t, ws));
  } else if (const auto* m = std::get_if<fnet::FNetForPreTraining<Scalar>>(&model)) {
    const auto o = m->forward(i, t, ws);
    out["seq_relationship_logits"] = values(o.seq_relationship_logits);  // copied before the next call reuses buffers
    out["prediction_logits"] = values(o.prediction_logits);
  } else if (const auto* m = std::get_if<fnet::FNetForSequenceClassification<Scalar>>(&model)) {
    const auto logits = m->forward(i, t, ws);
    out["logits"] = values(logits);
    std::vector<double> scores;
    for (Eigen::Index b = 0; b < logits.dimension(0); ++b) {
      std::vector<double> row(logits.data() + b * logits.dimension(1), logits.data() + (b + 1) * logits.dimension(1));
      for (double s : fnet::classification_scores(m->problem_type(), row)) scores.push_back(s);
    }
    out["scores"] = scores;
  }
  return out;
}

double max_error(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::fabs(a[k] - b[k]));
  return worst;
}

const std::map<std::string, std::string> kCases = {
    {"token_classification", "FNetForTokenClassification"},
    {"token_classification_f16", "FNetForTokenClassification"},
    {"question_answering", "FNetForQuestionAnswering"},
    {"question_answering_f16", "FNetForQuestionAnswering"},
    {"multiple_choice", "FNetForMultipleChoice"},
    {"next_sentence", "FNetForNextSentencePrediction"},
    {"pretraining", "FNetForPreTraining"},
    {"pretraining_untied_f16", "FNetForPreTraining"},
    {"sequence_single_label", "FNetForSequenceClassification"},
    {"sequence_multi_label", "FNetForSequenceClassification"},
    {"sequence_regression", "FNetForSequenceClassification"},
};

}  // namespace

TEMPLATE_TEST_CASE("each FNet head matches the PyTorch reference, loaded by architecture", "[heads]", float, double) {
  const double tolerance = sizeof(TestType) == 4 ? 1e-4 : 1e-9;
  for (const auto& [name, want_architecture] : kCases) {
    CAPTURE(name);
    const std::string dir = kFixtures + "/" + name;
    const fnet::detail::SafetensorsFile expected(dir + "/expected.safetensors");
    std::string architecture;
    const Outputs got = run<TestType>(dir, expected, architecture);
    CHECK(architecture == want_architecture);
    REQUIRE(!got.empty());
    for (const auto& [output, value] : got) {
      CAPTURE(output);
      const double error = max_error(value, read_all(expected, output));
      CHECK(error <= tolerance);
      // The same comparison against a head reading the wrong encoder output fails by a wide margin. (The
      // scores of a single-label softmax are compared through the logits; seq_relationship_logits of the
      // pre-training mutant read the right source, only its prediction head is wrong.)
      if (output != "scores" && output != "seq_relationship_logits")
        CHECK(max_error(value, read_all(expected, "mutation." + output)) >= 10 * 1e-4);
    }
  }
}

TEST_CASE("problem types: softmax, sigmoid or raw, as transformers' text-classification pipeline", "[heads]") {
  const std::vector<double> logits{1.0, -2.0, 0.5};
  const auto soft = fnet::classification_scores("single_label_classification", logits);
  const auto sig = fnet::classification_scores("multi_label_classification", logits);
  CHECK(soft[0] + soft[1] + soft[2] == Approx(1.0));
  CHECK(sig[0] == Approx(1.0 / (1.0 + std::exp(-1.0))));
  CHECK(fnet::classification_scores("regression", {2.5}) == std::vector<double>{2.5});
  fnet::Config c;
  c.id2label = {{0, "score"}};
  CHECK(c.resolved_problem_type() == "regression");
  c.id2label = {{0, "a"}, {1, "b"}};
  CHECK(c.resolved_problem_type() == "single_label_classification");
  c.problem_type = "multi_label_classification";
  CHECK(c.resolved_problem_type() == "multi_label_classification");
}
