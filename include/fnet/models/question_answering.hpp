// FNetForQuestionAnswering (Hugging Face): `qa_outputs` Linear(hidden, 2) over the sequence output, split
// into start_logits and end_logits, each (batch, seq).
#pragma once

#include <string>

#include "fnet/io/load.hpp"

namespace fnet {

template <class Scalar>
struct QuestionAnsweringOutput {
  TensorView<Scalar, 3> hidden_states;  // (batch, seq, hidden)
  TensorView<Scalar, 2> start_logits;   // (batch, seq)
  TensorView<Scalar, 2> end_logits;     // (batch, seq)
};

template <class Scalar = float>
class FNetForQuestionAnswering {
 public:
  explicit FNetForQuestionAnswering(const Config& config, const LoadOptions& options = {})
      : encoder_(config, false, options), qa_outputs_(config.hidden_size, 2) {}

  static FNetForQuestionAnswering load(const std::string& dir, const LoadOptions& options = {}) {
    return detail::load_task_model<FNetForQuestionAnswering>(dir, options);
  }
  void load_head(const detail::SafetensorsFile& file) {
    detail::read_head_linear(file, "qa_outputs", qa_outputs_, "question-answering");
  }

  const Config& config() const { return encoder_.config(); }
  FNetModel<Scalar>& encoder() { return encoder_; }
  const FNetModel<Scalar>& encoder() const { return encoder_; }
  Linear<Scalar>& qa_outputs() { return qa_outputs_; }

  QuestionAnsweringOutput<Scalar> forward(TokenIdsView ids, TokenIdsView token_types, Workspace<Scalar>& ws) const {
    const ModelOutput<Scalar> out = encoder_.forward(ids, token_types, ws);
    const Index batch = ids.dimension(0), seq = ids.dimension(1), tokens = batch * seq;
    MatrixMap<Scalar> both = ws.matrix(Buffer::head, tokens, 2);
    qa_outputs_(ConstMatrixMap<Scalar>(out.hidden_states.data(), tokens, out.hidden_states.dimension(2)), both, ws);
    // Column 0 is the start, column 1 the end: de-interleaved into two contiguous (batch, seq) arrays.
    Scalar* split = ws.data(Buffer::logits, 2 * tokens);
    for (Index t = 0; t < tokens; ++t) split[t] = both(t, 0), split[tokens + t] = both(t, 1);
    return {out.hidden_states, TensorView<Scalar, 2>(split, batch, seq), TensorView<Scalar, 2>(split + tokens, batch, seq)};
  }
  QuestionAnsweringOutput<Scalar> forward(const TokenIds& ids, const TokenIds& types, Workspace<Scalar>& ws) const {
    return forward(view(ids), view(types), ws);
  }

 private:
  FNetModel<Scalar> encoder_;
  Linear<Scalar> qa_outputs_;
};

}  // namespace fnet
