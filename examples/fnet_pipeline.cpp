// fnet-pipeline: every FNet task from the command line, streaming, as transformers' pipelines.
//
//   fnet-pipeline TASK --model DIR [--precision fp32|int8] [--threads N] [--batch-size N] [--max-length N]
//                 [--json] [--jsonl] [--raw] [--max-input-bytes N] [task options] [TEXT ...]
//
// Inputs: the TEXT arguments, or every line of standard input (plain, or JSON objects with --jsonl; the
// fields of each task are in include/fnet/pipelines/input.hpp). Output: one line per input, in input
// order, plain or --json (transformers' output format). Standard input is read one batch at a time and
// each batch's output flushed before the next is read: constant memory however long the stream.
//
// Bad input, nothing lost: a malformed line (bad JSON, a missing field, text that is not UTF-8, a line over
// --max-input-bytes, a fill-mask text without [MASK], ...) prints {"error": "...", "line": N} in its place
// and the stream goes on; the exit status is then 1 at the end. A model or file error stops at once with
// one line on stderr and status 1. Usage errors exit with status 2.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include <fnet/fnet.hpp>
#include <fnet/pipelines/input.hpp>

#include "progress.hpp"

namespace {

const char* const kTasks[] = {"text-classification", "token-classification", "question-answering", "fill-mask",
                              "feature-extraction", "zero-shot-classification", "multiple-choice"};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: fnet-pipeline TASK --model DIR [options] [TEXT ...]\n"
               "TASK: text-classification, token-classification, question-answering, fill-mask,\n"
               "      feature-extraction, zero-shot-classification, multiple-choice\n"
               "Runs TASK on each TEXT, or on each line of standard input (plain, or JSON objects with --jsonl).\n"
               "common:\n"
               "  --model DIR                model directory in Hugging Face layout (required)\n"
               "  --precision fp32|int8      int8: the encoder's feed-forward layers quantized at load\n"
               "  --threads N                threads per forward pass (default: all cores)\n"
               "  --batch-size N             inputs per forward pass (default 32)\n"
               "  --max-length N             padded length (default: the model's model_max_length)\n"
               "  --json                     one JSON value per input (transformers' output format)\n"
               "  --jsonl                    standard input lines are JSON objects with transformers' field names\n"
               "  --raw                      with --json: {\"result\": ..., \"raw\": per row input_ids, offsets and the\n"
               "                             model's logits (start/end logits; fill-mask: at each mask)}\n"
               "  --max-input-bytes N        longer input lines are an error for that line (default 1048576)\n"
               "Plain output escapes TAB, newline, CR and backslash in texts as \\t \\n \\r \\\\.\n"
               "text-classification:         [--function-to-apply softmax|sigmoid|none] [--top-k N|all]\n"
               "                             [--long-text truncate|windows] [--stride N]     plain line: text[TAB text_pair]\n"
               "token-classification:        [--aggregation-strategy none|simple|first|average|max] [--ignore-labels O,..]\n"
               "question-answering:          [--top-k N] [--max-answer-len N] [--handle-impossible-answer]\n"
               "                             [--doc-stride N] [--no-align-to-words] [--question Q]  plain line: question TAB context\n"
               "                             (with --question: the line is the context)\n"
               "fill-mask:                   [--top-k N] [--targets a,b,...]\n"
               "feature-extraction:          [--pooling none|cls|pooler|mean]\n"
               "zero-shot-classification:    --candidate-labels a,b,... [--hypothesis-template T] [--multi-label]\n"
               "multiple-choice:             plain line: question TAB choice TAB choice ...\n");
  std::exit(code);
}

[[noreturn]] void fail_usage(const std::string& message) {
  std::fprintf(stderr, "fnet-pipeline: %s\n", message.c_str());
  std::exit(2);
}

struct Options {
  std::string task, model;
  fnet::Precision precision = fnet::Precision::fp32;
  int threads = 0;
  std::size_t batch_size = 32;
  std::int64_t max_length = 0;
  bool json = false, jsonl = false, raw = false;
  std::size_t max_input_bytes = 1 << 20;
  std::vector<std::string> texts;
  std::string question;  // question-answering: plain lines are contexts

  fnet::TextClassificationOptions text_classification;
  fnet::TokenClassificationOptions token_classification;
  fnet::QuestionAnsweringOptions question_answering;
  fnet::FillMaskOptions fill_mask;
  fnet::FeatureExtractionOptions feature_extraction;
  fnet::ZeroShotOptions zero_shot;
  fnet::MultipleChoiceOptions multiple_choice;
};

long number(const std::string& flag, const char* value, long min) {
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || v < min)
    fail_usage(flag + " expects an integer >= " + std::to_string(min) + "; got '" + value + "'");
  return v;
}

std::vector<std::string> comma_list(const std::string& s) {
  std::vector<std::string> out;
  for (const std::string& part : fnet::detail::split(s, ','))
    if (!fnet::detail::trim(part).empty()) out.push_back(fnet::detail::trim(part));
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) usage(2);
  if (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") usage(0);
  o.task = argv[1];
  if (std::find(std::begin(kTasks), std::end(kTasks), o.task) == std::end(kTasks)) fail_usage("unknown task '" + o.task + "'");
  auto& tc = o.text_classification;
  auto& qa = o.question_answering;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) fail_usage(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "-h" || a == "--help") usage(0);
      else if (a == "--model") o.model = value();
      else if (a == "--precision") {
        const std::string p = value();
        if (p != "fp32" && p != "int8") fail_usage("--precision expects fp32 or int8; got '" + p + "'");
        o.precision = fnet::parse_precision(p);
      }
      else if (a == "--threads") o.threads = int(number(a, value(), 1));
      else if (a == "--batch-size") o.batch_size = std::size_t(number(a, value(), 1));
      else if (a == "--max-length") o.max_length = number(a, value(), 2);
      else if (a == "--json") o.json = true;
      else if (a == "--jsonl") o.jsonl = true;
      else if (a == "--raw") o.raw = o.json = true;
      else if (a == "--max-input-bytes") o.max_input_bytes = std::size_t(number(a, value(), 1));
      else if (a == "--function-to-apply") tc.function_to_apply = fnet::parse_classification_function(value());
      else if (a == "--top-k") {
        const std::string v = value();
        if (v == "all") tc.top_k.reset();
        else tc.top_k = qa.top_k = o.fill_mask.top_k = number(a, v.c_str(), 1);
      }
      else if (a == "--long-text") {
        const std::string v = value();
        if (v != "truncate" && v != "windows") fail_usage("--long-text expects truncate or windows; got '" + v + "'");
        tc.long_text = v == "windows" ? fnet::LongText::windows : fnet::LongText::truncate;
      }
      else if (a == "--stride") tc.stride = number(a, value(), 0);
      else if (a == "--aggregation-strategy") o.token_classification.aggregation_strategy = fnet::parse_aggregation(value());
      else if (a == "--ignore-labels") o.token_classification.ignore_labels = comma_list(value());
      else if (a == "--max-answer-len") qa.max_answer_len = number(a, value(), 1);
      else if (a == "--handle-impossible-answer") qa.handle_impossible_answer = true;
      else if (a == "--doc-stride") qa.doc_stride = number(a, value(), 0);
      else if (a == "--no-align-to-words") qa.align_to_words = false;
      else if (a == "--question") o.question = value();
      else if (a == "--targets") o.fill_mask.targets = comma_list(value());
      else if (a == "--pooling") o.feature_extraction.pooling = fnet::parse_pooling(value());
      else if (a == "--candidate-labels") o.zero_shot.candidate_labels = comma_list(value());
      else if (a == "--hypothesis-template") o.zero_shot.hypothesis_template = value();
      else if (a == "--multi-label") o.zero_shot.multi_label = true;
      else if (a == "--") { for (++i; i < argc; ++i) o.texts.emplace_back(argv[i]); }
      else if (a.size() > 1 && a[0] == '-') fail_usage("unknown option " + a);
      else o.texts.push_back(a);
    } catch (const std::invalid_argument& e) {
      fail_usage(a + ": " + e.what());
    }
  }
  if (o.model.empty()) fail_usage("--model DIR is required");
  if (o.threads == 0) o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (auto* ml : {&tc.max_length, &o.token_classification.max_length, &qa.max_length, &o.fill_mask.max_length,
                   &o.feature_extraction.max_length, &o.zero_shot.max_length, &o.multiple_choice.max_length})
    *ml = o.max_length;
  tc.raw = o.token_classification.raw = qa.raw = o.fill_mask.raw = o.feature_extraction.raw = o.zero_shot.raw =
      o.multiple_choice.raw = o.raw;
  return o;
}

// ---- plain output, one line per input --------------------------------------------------------------------

// Text in a plain line: TAB, newline, carriage return and backslash escaped, so that one input stays one
// line and fields stay TAB-separated.
std::string esc(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string plain(const fnet::TextClassificationResult& r) {
  std::string s;
  for (const auto& l : r.labels) s += (s.empty() ? "" : "\t") + esc(l.label) + "\t" + fixed(l.score);
  return s;
}
std::string plain(const fnet::TokenClassificationResult& r) {
  std::string s;
  for (const auto& e : r.entities)
    s += (s.empty() ? "" : "\t") + esc(e.label) + ":" + esc(e.word) + " [" + std::to_string(e.span.start) + "," + std::to_string(e.span.end) +
         ") " + fixed(e.score);
  return s;
}
std::string plain(const fnet::QuestionAnsweringResult& r) {
  std::string s;
  for (const auto& a : r.answers)
    s += (s.empty() ? "" : "\t") + esc(a.answer) + "\t" + fixed(a.score) + "\t" + std::to_string(a.span.start) + "\t" + std::to_string(a.span.end);
  return s;
}
std::string plain(const fnet::FillMaskResult& r) {
  std::string s;
  for (std::size_t m = 0; m < r.masks.size(); ++m) {
    if (m) s += "\t|";
    for (const auto& c : r.masks[m]) s += (s.empty() ? "" : "\t") + esc(c.token_str) + "\t" + fixed(c.score);
  }
  return s;
}
std::string plain(const fnet::FeatureExtractionResult& r) {
  std::string s;
  char buf[32];
  for (std::size_t v = 0; v < r.vectors.size(); ++v) {
    if (v) s += '\t';
    for (std::size_t h = 0; h < r.vectors[v].size(); ++h) {
      std::snprintf(buf, sizeof buf, h ? " %.6g" : "%.6g", r.vectors[v][h]);
      s += buf;
    }
  }
  return s;
}
std::string plain(const fnet::ZeroShotResult& r) {
  std::string s;
  for (std::size_t i = 0; i < r.labels.size(); ++i) s += (i ? "\t" : "") + esc(r.labels[i]) + "\t" + fixed(r.scores[i]);
  return s;
}
std::string plain(const fnet::MultipleChoiceResult& r) {
  std::string s = std::to_string(r.best);
  for (double v : r.scores) s += "\t" + fixed(v);
  return s;
}

// One batch of inputs in order: each either prepared for the pipeline or an error for its line.
template <class Pipeline>
class Stream {
 public:
  Stream(const Pipeline& pipeline, const Options& o) : pipeline_(pipeline), o_(o), ws_(o.threads) {}

  void add(std::size_t line_number, const std::string& line, bool too_long, std::size_t bytes) {
    Item item;
    item.line = line_number;
    try {
      if (too_long)
        throw std::invalid_argument("input of " + std::to_string(bytes) + " bytes exceeds --max-input-bytes " +
                                    std::to_string(o_.max_input_bytes));
      item.prepared = std::make_unique<typename Pipeline::Prepared>(pipeline_.prepare(parse_line(line)));
    } catch (const std::exception& e) {  // this line only: report it and go on
      item.error = e.what();
    }
    items_.push_back(std::move(item));
    if (items_.size() >= o_.batch_size) flush();
  }

  // Runs the batch and prints one line per item. Errors in the model itself propagate (and stop).
  void flush() {
    std::vector<const typename Pipeline::Prepared*> ready;
    for (const Item& item : items_)
      if (item.prepared) ready.push_back(item.prepared.get());
    const auto results = pipeline_.run(ready, ws_);
    std::size_t r = 0;
    std::string out;
    for (const Item& item : items_) {
      if (!item.prepared) {
        ++failed_;
        out += nlohmann::json{{"error", item.error}, {"line", item.line}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else if (o_.json) {
        const auto& result = results[r++];
        nlohmann::json j = result;
        if (o_.raw) j = {{"result", std::move(j)}, {"raw", result.raw}};
        out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        out += plain(results[r++]);
      }
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    done_ += items_.size();
    items_.clear();
    progress_.update(done_, failed_);
  }

  std::size_t failed() const { return failed_; }

 private:
  struct Item {
    std::size_t line = 0;
    std::unique_ptr<typename Pipeline::Prepared> prepared;
    std::string error;
  };

  typename Pipeline::Input parse_line(const std::string& line) const {
    if constexpr (std::is_same_v<typename Pipeline::Input, fnet::QuestionAnsweringInput>)
      if (!o_.question.empty() && !o_.jsonl) return {o_.question, line};  // --question: the line is the context
    return fnet::parse_input<typename Pipeline::Input>(line, o_.jsonl);
  }

  const Pipeline& pipeline_;
  const Options& o_;
  fnet::Workspace<float> ws_;
  std::vector<Item> items_;
  std::size_t done_ = 0, failed_ = 0;
  Progress progress_;
};

template <class Pipeline>
int run(const Options& o, const typename Pipeline::Options& task_options) {
  const Pipeline pipeline(o.model, task_options, fnet::LoadOptions{o.precision, {}});
  Stream<Pipeline> stream(pipeline, o);
  if (!o.texts.empty()) {
    for (std::size_t i = 0; i < o.texts.size(); ++i)
      stream.add(i + 1, o.texts[i], o.texts[i].size() > o.max_input_bytes, o.texts[i].size());
  } else {
    fnet::LineReader reader(stdin, o.max_input_bytes);
    std::string line;
    bool too_long = false;
    std::size_t bytes = 0, number = 0;
    while (reader.next(line, too_long, bytes)) stream.add(++number, line, too_long, bytes);
  }
  stream.flush();
  return stream.failed() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    if (o.task == "text-classification") return run<fnet::TextClassificationPipeline<float>>(o, o.text_classification);
    if (o.task == "token-classification") return run<fnet::TokenClassificationPipeline<float>>(o, o.token_classification);
    if (o.task == "question-answering") return run<fnet::QuestionAnsweringPipeline<float>>(o, o.question_answering);
    if (o.task == "fill-mask") return run<fnet::FillMaskPipeline<float>>(o, o.fill_mask);
    if (o.task == "feature-extraction") return run<fnet::FeatureExtractionPipeline<float>>(o, o.feature_extraction);
    if (o.task == "zero-shot-classification") return run<fnet::ZeroShotClassificationPipeline<float>>(o, o.zero_shot);
    return run<fnet::MultipleChoicePipeline<float>>(o, o.multiple_choice);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fnet-pipeline: %s\n", e.what());
    return 1;
  }
}
