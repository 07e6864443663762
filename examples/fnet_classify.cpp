// fnet-classify: classify sentences with an FNet sequence classifier (a thin wrapper of the
// text-classification pipeline, fnet/pipelines/text_classification.hpp; fnet-pipeline has every task).
//
//   fnet-classify [--model DIR] [--precision fp32|int8] [--json] [--max-length N] [--threads N] [--batch-size N] [TEXT ...]
//   fnet-classify --eval FILE.tsv [--model DIR] ...     accuracy on a labelled TSV (label<TAB>text, header row)
//
// Without TEXT arguments every line of standard input is classified, streaming: input is read one batch at
// a time (constant memory however long the input) and each batch's results are flushed before the next is
// read. Plain output: "label<TAB>probability" per input; --json: one JSON object per input.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <fnet/pipelines/text_classification.hpp>

#include "progress.hpp"

#ifndef FNET_DEFAULT_MODEL_DIR
#define FNET_DEFAULT_MODEL_DIR "examples/models/sst2-fnet-imdb-256"
#endif

namespace {

struct Options {
  std::string model = FNET_DEFAULT_MODEL_DIR;
  fnet::Precision precision = fnet::Precision::fp32;
  bool json = false;
  std::int64_t max_length = 0;
  int threads = 0;
  std::size_t batch_size = 32;
  std::string eval;
  std::vector<std::string> texts;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: fnet-classify [--model DIR] [--precision fp32|int8] [--json] [--max-length N] [--threads N]\n"
               "                     [--batch-size N] [TEXT ...]\n"
               "       fnet-classify --eval FILE.tsv [--model DIR] [--precision fp32|int8] [--max-length N] [--threads N]\n"
               "Classifies each TEXT, or each line of standard input when no TEXT is given.\n"
               "  --model DIR       model directory (config.json, model.safetensors, spiece.model,\n"
               "                    tokenizer_config.json); default %s\n"
               "  --precision P     fp32 (default) or int8: the encoder's feed-forward layers quantized at load\n"
               "  --json            one JSON object per input: text, label, score, logits, probabilities\n"
               "  --max-length N    padded length (default: the model's model_max_length)\n"
               "  --threads N       threads for the forward pass (default: all cores)\n"
               "  --batch-size N    inputs per forward pass (default 32)\n"
               "  --eval FILE.tsv   report accuracy on a TSV with a header row and label<TAB>text rows\n",
               FNET_DEFAULT_MODEL_DIR);
  std::exit(code);
}

long parse_number(const std::string& flag, const char* value, long min) {
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || v < min) {
    std::fprintf(stderr, "fnet-classify: %s expects an integer >= %ld; got '%s'\n", flag.c_str(), min, value);
    std::exit(2);
  }
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fnet-classify: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") usage(0);
    else if (a == "--model") o.model = value();
    else if (a == "--precision") {
      const std::string name = value();
      if (name != "fp32" && name != "int8") {
        std::fprintf(stderr, "fnet-classify: --precision expects fp32 or int8; got '%s'\n", name.c_str());
        std::exit(2);
      }
      o.precision = fnet::parse_precision(name);
    }
    else if (a == "--json") o.json = true;
    else if (a == "--max-length") o.max_length = parse_number(a, value(), 2);
    else if (a == "--threads") o.threads = int(parse_number(a, value(), 1));
    else if (a == "--batch-size") o.batch_size = std::size_t(parse_number(a, value(), 1));
    else if (a == "--eval") o.eval = value();
    else if (a == "--") { for (++i; i < argc; ++i) o.texts.emplace_back(argv[i]); }
    else if (a.size() > 1 && a[0] == '-') { std::fprintf(stderr, "fnet-classify: unknown option %s\n", a.c_str()); usage(2); }
    else o.texts.push_back(a);
  }
  if (o.threads == 0) o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  return o;
}

using Classifier = fnet::TextClassificationPipeline<float>;

struct Prediction {
  std::int64_t label_id = 0;
  std::string label;
  double score = 0;
  std::vector<double> logits, probabilities;  // probabilities: every label's score, by label id
};

std::vector<Prediction> classify(const Classifier& classifier, const std::vector<std::string>& texts, fnet::Workspace<float>& ws) {
  std::vector<Classifier::Prepared> prepared;
  prepared.reserve(texts.size());
  for (const std::string& t : texts) prepared.push_back(classifier.prepare({t, std::nullopt}));
  std::vector<const Classifier::Prepared*> batch;
  for (const auto& p : prepared) batch.push_back(&p);
  std::vector<Prediction> out;
  for (const auto& r : classifier.run(batch, ws)) {
    Prediction p;
    p.label_id = r.labels.front().id;
    p.label = r.labels.front().label;
    p.score = r.labels.front().score;
    p.logits = r.logits;
    p.probabilities.assign(r.logits.size(), 0.0);
    for (const auto& l : r.labels) p.probabilities[std::size_t(l.id)] = l.score;
    out.push_back(std::move(p));
  }
  return out;
}

void print(const std::string& text, const Prediction& p, bool json) {
  if (json) {
    nlohmann::json j = {{"text", text}, {"label", p.label}, {"score", p.score}, {"logits", p.logits},
                        {"probabilities", p.probabilities}};
    // Invalid UTF-8 never reaches here (the tokenizer rejects it), so dump() cannot throw.
    std::cout << j.dump() << '\n';
  } else {
    std::printf("%s\t%.4f\n", p.label.c_str(), p.score);
  }
}

int run_stream(const Classifier& classifier, const Options& o) {
  fnet::Workspace<float> ws(o.threads);
  auto flush_batch = [&](std::vector<std::string>& batch) {
    const auto predictions = classify(classifier, batch, ws);
    for (std::size_t i = 0; i < batch.size(); ++i) print(batch[i], predictions[i], o.json);
    std::cout.flush();
    std::fflush(stdout);
    batch.clear();
  };
  std::vector<std::string> batch;
  if (!o.texts.empty()) {
    for (const auto& t : o.texts) {
      batch.push_back(t);
      if (batch.size() == o.batch_size) flush_batch(batch);
    }
    if (!batch.empty()) flush_batch(batch);
    return 0;
  }
  Progress progress;
  std::size_t done = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    batch.push_back(std::move(line));
    if (batch.size() == o.batch_size) {
      done += batch.size();
      flush_batch(batch);
      progress.update(done);
    }
  }
  if (!batch.empty()) {
    done += batch.size();
    flush_batch(batch);
    progress.update(done);
  }
  return 0;
}

int run_eval(const Classifier& classifier, const Options& o) {
  std::ifstream in(o.eval);
  if (!in) throw fnet::io_error(o.eval + ": cannot open");
  fnet::Workspace<float> ws(o.threads);
  const auto& labels = classifier.model().config().id2label;
  std::string line;
  std::getline(in, line);  // header
  std::size_t total = 0, correct = 0, line_number = 1;
  std::vector<std::string> batch;
  std::vector<std::int64_t> gold;
  auto score = [&]() {
    const auto predictions = classify(classifier, batch, ws);
    for (std::size_t i = 0; i < batch.size(); ++i) correct += predictions[i].label_id == gold[i];
    total += batch.size();
    batch.clear();
    gold.clear();
  };
  while (std::getline(in, line)) {
    ++line_number;
    const auto tab = line.find('\t');
    if (tab == std::string::npos)
      throw fnet::format_error(o.eval + ":" + std::to_string(line_number) + ": expected label<TAB>text");
    const std::string label = line.substr(0, tab);
    std::int64_t id = -1;
    for (const auto& [k, v] : labels)
      if (v == label || std::to_string(k) == label) id = k;
    if (id < 0) throw fnet::format_error(o.eval + ":" + std::to_string(line_number) + ": unknown label '" + label + "'");
    batch.push_back(line.substr(tab + 1));
    gold.push_back(id);
    if (batch.size() == o.batch_size) score();
  }
  if (!batch.empty()) score();
  std::printf("accuracy %.4f (%zu/%zu) on %s, max length %lld\n", total ? double(correct) / double(total) : 0.0, correct,
              total, o.eval.c_str(), static_cast<long long>(classifier.max_length()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    fnet::TextClassificationOptions task;
    task.max_length = options.max_length;
    task.top_k.reset();  // every label's score
    const Classifier classifier(options.model, task, {options.precision, {}});
    return options.eval.empty() ? run_stream(classifier, options) : run_eval(classifier, options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fnet-classify: %s\n", e.what());
    return 1;
  }
}
