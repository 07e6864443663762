// libFuzzer harness: every pipeline's post-processing on arbitrary logits, offsets and text
// (tag_tokens, find_answers, rank_candidates, classify_logits). The bytes give the text, tokens with any
// offsets (inside, outside or reversed), logits including NaN and ±Inf, and the options. Invariants: no
// crash; ragged logits rows are a std::invalid_argument; every span lies inside the text with start <= end; every word/answer is the text sliced at its
// span; no more answers than top_k; zero-shot returns each candidate label once.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fnet/pipelines/question_answering.hpp>
#include <fnet/pipelines/text_classification.hpp>
#include <fnet/pipelines/token_classification.hpp>
#include <fnet/pipelines/zero_shot_classification.hpp>

#include "fuzz/fuzz_util.hpp"

namespace {

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::int64_t small(std::int64_t n) { return n > 0 ? byte() % n : 0; }
  double logit() {
    const std::uint8_t b = byte();
    if (b == 255) return std::numeric_limits<double>::quiet_NaN();
    if (b == 254) return std::numeric_limits<double>::infinity();
    if (b == 253) return -std::numeric_limits<double>::infinity();
    return (static_cast<int>(b) - 126) / 8.0;
  }
  std::string text(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n && at_ < size_; ++i) s.push_back(static_cast<char>(byte()));
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_, at_ = 0;
};

void check_span(const fnet::detail::CodePoints& cps, const fnet::TextSpan& s, const std::string& word) {
  if (s.start < 0 || s.start > s.end || s.end > cps.size()) fnet_fuzz::invariant_failed("span outside the text");
  if (cps.slice(s) != word) fnet_fuzz::invariant_failed("word is not the text sliced at its span");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const std::string text = in.text(static_cast<std::size_t>(in.small(40)));
  const fnet::detail::CodePoints cps(text);
  const std::int64_t span_limit = cps.size() + 4;  // offsets may point past the end

  // Token classification.
  const std::vector<std::string> label_names{"O", "B-PER", "I-PER", "B-LOC", "I-LOC", "MISC"};
  const std::size_t labels = 1 + static_cast<std::size_t>(in.small(6));
  const std::size_t tokens = static_cast<std::size_t>(in.small(24));
  std::vector<fnet::TokenForTagging> tagged;
  std::vector<std::vector<double>> logits;
  for (std::size_t t = 0; t < tokens; ++t) {
    const std::uint8_t flags = in.byte();
    tagged.push_back({(flags & 1) ? "\xE2\x96\x81w" : "w", in.small(span_limit) - 2, in.small(span_limit) - 2, (flags & 2) != 0});
    logits.emplace_back();
    // Now and then a ragged row (an input error tag_tokens must report, not read past).
    const std::size_t width = (flags & 0xF0) == 0xF0 ? static_cast<std::size_t>(in.small(8)) : labels;
    for (std::size_t j = 0; j < width; ++j) logits.back().push_back(in.logit());
  }
  const std::vector<std::string> names(label_names.begin(), label_names.begin() + std::ptrdiff_t(labels));
  for (auto strategy : {fnet::Aggregation::none, fnet::Aggregation::simple, fnet::Aggregation::first,
                        fnet::Aggregation::average, fnet::Aggregation::max}) {
    try {
      const auto r = fnet::tag_tokens(text, tagged, logits, names, strategy, {"O"});
      for (const auto& e : r.entities) check_span(cps, e.span, e.word);
    } catch (const std::invalid_argument&) {
      bool ragged = false;
      for (const auto& row : logits) ragged |= row.size() != labels;
      if (!ragged) fnet_fuzz::invariant_failed("tag_tokens refused well-formed logits");
    }
  }

  // Question answering: windows with arbitrary sequence ids, offsets and word ids.
  fnet::QuestionAnsweringOptions qa;
  qa.top_k = 1 + in.small(5);
  qa.max_answer_len = 1 + in.small(8);
  qa.handle_impossible_answer = in.byte() & 1;
  qa.align_to_words = in.byte() & 1;
  std::vector<std::pair<std::int64_t, std::int64_t>> words;
  for (std::int64_t w = in.small(6); w > 0; --w) words.push_back({in.small(span_limit) - 2, in.small(span_limit) - 2});
  std::vector<fnet::AnswerWindow> windows(static_cast<std::size_t>(in.small(3)));
  for (auto& w : windows) {
    const std::size_t n = static_cast<std::size_t>(in.small(12));
    for (std::size_t t = 0; t < n; ++t) {
      w.start_logits.push_back(in.logit());
      w.end_logits.push_back(in.logit());
      w.sequence_ids.push_back(static_cast<std::int32_t>(in.small(3)) - 1);
      w.offsets.push_back({in.small(span_limit) - 2, in.small(span_limit) - 2});
      w.word_ids.push_back(in.small(8) - 1);
    }
  }
  const auto answers = fnet::find_answers(text, windows, words, qa);
  if (answers.size() > static_cast<std::size_t>(qa.top_k)) fnet_fuzz::invariant_failed("more answers than top_k");
  for (const auto& a : answers) check_span(cps, a.span, a.answer);

  // Zero-shot and text classification on the same logits.
  fnet::Config config;
  config.id2label.clear();
  for (std::size_t j = 0; j < labels; ++j) config.id2label[std::int64_t(j)] = j == 0 ? "contradiction" : "x" + std::to_string(j);
  const auto [entail, contradict] = fnet::nli_label_ids(config);
  std::vector<std::string> candidates;
  for (std::size_t i = 0; i < logits.size(); ++i) candidates.push_back("c" + std::to_string(i));
  const auto ranked = fnet::rank_candidates(text, candidates, logits, entail, contradict, in.byte() & 1);
  if (std::set<std::string>(ranked.labels.begin(), ranked.labels.end()).size() != candidates.size() ||
      ranked.labels.size() != candidates.size())
    fnet_fuzz::invariant_failed("zero-shot lost or repeated a candidate label");
  if (!logits.empty() && logits.front().size() == labels) {
    const auto top = fnet::classify_logits(logits.front(), config, fnet::ClassificationFunction::automatic, 1 + in.small(3));
    if (top.size() > labels) fnet_fuzz::invariant_failed("more labels than the model has");
  }
  return 0;
}
