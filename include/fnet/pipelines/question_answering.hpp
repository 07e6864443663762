// QuestionAnsweringPipeline: transformers' pipeline("question-answering") (extractive QA) over an
// FNetForQuestionAnswering checkpoint.
//
// The question and the context go into one row ([CLS] question [SEP] context [SEP]). A context longer
// than the row is split into windows that share `doc_stride` tokens, the question repeated in each, and
// the best spans are taken over all windows. Per window, as transformers does: start and end logits of
// tokens outside the context are set to -10000, each is softmaxed over the row, a span (s, e) scores
// p_start(s) · p_end(e) for s <= e < s + max_answer_len; the top_k spans of the window's whole score
// matrix are taken first and those outside the context dropped after. With align_to_words (default) a
// span is widened to whole words. handle_impossible_answer adds the empty answer, scored by the lowest
// [CLS]·[CLS] probability over the windows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fnet/models/question_answering.hpp"
#include "fnet/pipelines/common.hpp"

namespace fnet {

struct QuestionAnsweringOptions {
  std::int64_t max_length = 0;
  std::int64_t top_k = 1;
  std::int64_t max_answer_len = 15;
  bool handle_impossible_answer = false;
  std::int64_t doc_stride = -1;  // -1: min(L / 2, 128), and at most what a window's room allows
  bool align_to_words = true;
  bool raw = false;
};

struct QuestionAnsweringInput {
  std::string question;
  std::string context;
};

struct Answer {
  double score = 0;
  TextSpan span;  // in the context
  std::string answer;
};

struct QuestionAnsweringResult {
  std::vector<Answer> answers;  // by score, descending
  std::vector<RawWindow> raw;
};

inline void to_json(nlohmann::json& j, const Answer& a) {
  j = {{"score", a.score}, {"start", a.span.start}, {"end", a.span.end}, {"answer", a.answer}};
}
inline void to_json(nlohmann::json& j, const QuestionAnsweringResult& r) { j = r.answers; }

// One window as post-processing sees it; all vectors have the row's length.
struct AnswerWindow {
  std::vector<double> start_logits, end_logits;
  std::vector<std::int32_t> sequence_ids;  // -1 special/padding, 0 question, 1 context
  std::vector<std::pair<std::int64_t, std::int64_t>> offsets;  // code points; context tokens into the context
  std::vector<std::int64_t> word_ids;      // -1, or the word's index over the whole context
};

// Post-processing: the best answers over every window. `word_spans` are the context's words
// ([start, end) code points), indexed by AnswerWindow::word_ids.
inline std::vector<Answer> find_answers(std::string_view context, const std::vector<AnswerWindow>& windows,
                                        const std::vector<std::pair<std::int64_t, std::int64_t>>& word_spans,
                                        const QuestionAnsweringOptions& options) {
  if (options.top_k < 1) throw std::invalid_argument("question-answering: top_k must be at least 1; got " + std::to_string(options.top_k));
  if (options.max_answer_len < 1)
    throw std::invalid_argument("question-answering: max_answer_len must be at least 1; got " + std::to_string(options.max_answer_len));
  const detail::CodePoints cps(context);
  std::vector<Answer> answers;
  double min_null = std::numeric_limits<double>::infinity();
  for (const AnswerWindow& w : windows) {
    const std::size_t n = std::min({w.start_logits.size(), w.end_logits.size(), w.sequence_ids.size(), w.offsets.size(), w.word_ids.size()});
    if (n == 0) continue;
    std::vector<char> desired(n);
    std::vector<double> start(n), end(n);
    for (std::size_t t = 0; t < n; ++t) {
      desired[t] = t == 0 || w.sequence_ids[t] == 1;
      start[t] = desired[t] ? w.start_logits[t] : -10000.0;
      end[t] = desired[t] ? w.end_logits[t] : -10000.0;
    }
    start = detail::softmax(start);
    end = detail::softmax(end);
    min_null = std::min(min_null, start[0] * end[0]);
    start[0] = end[0] = 0.0;
    // The top_k cells of the n × n band matrix (zero outside the band), ties in row-major order.
    struct Cell {
      double score;
      std::size_t s, e;
    };
    std::vector<Cell> cells;
    const std::size_t band = static_cast<std::size_t>(options.max_answer_len);
    const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(options.top_k), n * n);
    auto better = [](const Cell& a, const Cell& b) { return a.score > b.score || (a.score == b.score && (a.s < b.s || (a.s == b.s && a.e < b.e))); };
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t e = 0; e < n; ++e) {
        const double score = e >= s && e - s < band ? start[s] * end[e] : 0.0;
        // Cells outside the band score 0 and only matter while fewer than k cells are kept.
        if (score == 0.0 && cells.size() >= k) continue;
        cells.push_back({score, s, e});
        if (cells.size() > 4 * k + 64) {
          std::partial_sort(cells.begin(), cells.begin() + std::ptrdiff_t(k), cells.end(), better);
          cells.resize(k);
        }
      }
    std::partial_sort(cells.begin(), cells.begin() + std::ptrdiff_t(std::min(k, cells.size())), cells.end(), better);
    cells.resize(std::min(k, cells.size()));
    for (const Cell& c : cells) {
      if (!desired[c.s] || !desired[c.e]) continue;
      std::int64_t begin = w.offsets[c.s].first, finish = w.offsets[c.e].second;
      if (options.align_to_words) {
        const std::int64_t ws = w.word_ids[c.s], we = w.word_ids[c.e];
        if (ws >= 0 && std::size_t(ws) < word_spans.size()) begin = word_spans[std::size_t(ws)].first;
        if (we >= 0 && std::size_t(we) < word_spans.size()) finish = word_spans[std::size_t(we)].second;
      }
      Answer a;
      a.score = c.score;
      a.span = cps.span(begin, finish);
      a.answer = cps.slice(a.span);
      answers.push_back(std::move(a));
    }
  }
  if (options.handle_impossible_answer && !windows.empty()) answers.push_back({min_null, cps.span(0, 0), ""});
  std::stable_sort(answers.begin(), answers.end(), [](const Answer& a, const Answer& b) { return a.score > b.score; });
  if (answers.size() > static_cast<std::size_t>(options.top_k)) answers.resize(static_cast<std::size_t>(options.top_k));
  return answers;
}

template <class Scalar = float>
class QuestionAnsweringPipeline {
 public:
  using Input = QuestionAnsweringInput;
  using Result = QuestionAnsweringResult;
  using Options = QuestionAnsweringOptions;
  struct Prepared {
    std::string context;
    std::vector<Encoding> rows;
    std::vector<std::vector<std::int64_t>> word_ids;  // per row
    std::vector<std::pair<std::int64_t, std::int64_t>> word_spans;
  };

  QuestionAnsweringPipeline(const std::string& model_dir, const Options& options = {}, const LoadOptions& load = {})
      : model_(FNetForQuestionAnswering<Scalar>::load(model_dir, load)), tokenizer_(model_dir), options_(options) {
    length_ = detail::padded_length(options.max_length, tokenizer_, model_.config(), 4, "question-answering");
    if (model_.config().type_vocab_size < 2) detail::check_pairs(model_.config(), "question-answering " + model_dir);
    if (options.top_k < 1) throw std::invalid_argument("question-answering: top_k must be at least 1");
    if (options.max_answer_len < 1) throw std::invalid_argument("question-answering: max_answer_len must be at least 1");
  }

  std::int64_t max_length() const { return length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

  // Throws std::invalid_argument when the question leaves no room for the context.
  Prepared prepare(const Input& input) const {
    Prepared p;
    p.context = input.context;
    const std::int64_t question = static_cast<std::int64_t>(tokenizer_.encode(input.question, EncodeOptions{0, Truncation::do_not_truncate, false, 0}).input_ids.size()) - 2;
    const std::int64_t room = length_ - 3 - question;
    if (room < 1)
      throw std::invalid_argument("question-answering: the question has " + std::to_string(question) + " tokens; with a row of " +
                                  std::to_string(length_) + " that leaves no room for the context");
    std::int64_t stride = options_.doc_stride >= 0 ? options_.doc_stride : std::min<std::int64_t>(length_ / 2, 128);
    if (options_.doc_stride < 0) stride = std::min(stride, room - 1);  // the default adapts to a long question
    p.rows = tokenizer_.encode_pair_windows(input.question, input.context, EncodeOptions{length_, Truncation::only_second, true, stride});
    detail::check_rows(p.rows.size(), "question-answering", "windows of a long context");
    // Words over the whole context: a new word at each token that starts one ('▁').
    const Encoding whole = tokenizer_.encode(input.context, EncodeOptions{0, Truncation::do_not_truncate, false, 0});
    std::vector<std::int64_t> word_of(whole.input_ids.size(), -1);
    for (std::size_t t = 1; t + 1 < whole.input_ids.size(); ++t) {
      if (t == 1 || starts_word(tokenizer_.id_to_piece(whole.input_ids[t])))
        p.word_spans.push_back(whole.char_offsets[t]);
      p.word_spans.back().second = std::max(p.word_spans.back().second, whole.char_offsets[t].second);
      word_of[t] = static_cast<std::int64_t>(p.word_spans.size()) - 1;
    }
    // Each window's context tokens continue the whole context's token list (windows share `stride`).
    std::size_t first = 1;
    for (const Encoding& row : p.rows) {
      std::vector<std::int64_t> ids(row.input_ids.size(), -1);
      std::size_t k = first, count = 0;
      for (std::size_t t = 0; t < row.input_ids.size(); ++t)
        if (row.sequence_ids[t] == 1) {
          ids[t] = k < word_of.size() ? word_of[k] : -1;
          ++k, ++count;
        }
      p.word_ids.push_back(std::move(ids));
      first += count > static_cast<std::size_t>(stride) ? count - static_cast<std::size_t>(stride) : count;
    }
    return p;
  }

  std::vector<Result> run(const std::vector<const Prepared*>& batch, Workspace<Scalar>& ws) const {
    std::vector<const Encoding*> rows;
    for (const Prepared* p : batch)
      for (const Encoding& e : p->rows) rows.push_back(&e);
    std::vector<Result> results(batch.size());
    std::vector<std::vector<double>> starts(rows.size()), ends(rows.size());
    detail::forward_in_chunks(rows, length_, [&](const detail::Rows& input, std::size_t first) {
      const auto out = model_.forward(input.ids, input.types, ws);
      for (Index r = 0; r < out.start_logits.dimension(0); ++r)
        for (Index t = 0; t < out.start_logits.dimension(1); ++t) {
          starts[first + std::size_t(r)].push_back(double(out.start_logits(r, t)));
          ends[first + std::size_t(r)].push_back(double(out.end_logits(r, t)));
        }
    });
    std::size_t r = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::vector<AnswerWindow> windows;
      for (std::size_t w = 0; w < batch[i]->rows.size(); ++w, ++r) {
        const Encoding& e = batch[i]->rows[w];
        AnswerWindow a;
        a.start_logits = std::move(starts[r]);
        a.end_logits = std::move(ends[r]);
        a.sequence_ids = e.sequence_ids;
        a.offsets = e.char_offsets;
        a.word_ids = batch[i]->word_ids[w];
        if (options_.raw) {
          results[i].raw.push_back(detail::raw_window(e));
          results[i].raw.back().outputs["start_logits"] = a.start_logits;
          results[i].raw.back().outputs["end_logits"] = a.end_logits;
        }
        windows.push_back(std::move(a));
      }
      results[i].answers = find_answers(batch[i]->context, windows, batch[i]->word_spans, options_);
    }
    return results;
  }

  Result operator()(const Input& input, Workspace<Scalar>& ws) const {
    const Prepared p = prepare(input);
    return run({&p}, ws).front();
  }

 private:
  FNetForQuestionAnswering<Scalar> model_;
  Tokenizer tokenizer_;
  Options options_;
  std::int64_t length_ = 0;
};

}  // namespace fnet
