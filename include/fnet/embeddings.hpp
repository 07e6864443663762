// Embeddings, as Hugging Face's FNetEmbeddings:
//   x = projection(LN(word[id] + position[s] + token_type[type]))
#pragma once

#include <stdexcept>
#include <string>

#include "fnet/config.hpp"
#include "fnet/layer_norm.hpp"
#include "fnet/linear.hpp"

namespace fnet {

template <class Scalar>
class Embeddings {
 public:
  Embeddings() = default;
  explicit Embeddings(const Config& c)
      : word_(RowMatrix<Scalar>::Zero(c.vocab_size, c.hidden_size)),
        position_(RowMatrix<Scalar>::Zero(c.max_position_embeddings, c.hidden_size)),
        token_type_(RowMatrix<Scalar>::Zero(c.type_vocab_size, c.hidden_size)),
        norm_(c.hidden_size, c.layer_norm_eps),
        projection_(c.hidden_size, c.hidden_size) {}

  RowMatrix<Scalar>& word() { return word_; }
  const RowMatrix<Scalar>& word() const { return word_; }

  // ids and types: (batch, seq), already validated by the model. out: (batch·seq, hidden).
  void operator()(TokenIdsView ids, TokenIdsView types, MatrixMap<Scalar> out, Workspace<Scalar>& ws) const {
    const Index batch = ids.dimension(0), seq = ids.dimension(1);
    MatrixMap<Scalar> summed = ws.matrix(Buffer::mixed, batch * seq, word_.cols());
    for (Index b = 0; b < batch; ++b)
      for (Index s = 0; s < seq; ++s)
        summed.row(b * seq + s) = word_.row(ids(b, s)) + position_.row(s) + token_type_.row(types(b, s));
    norm_(summed, ws);
    projection_(summed, out, ws);
  }

  void visit_parameters(const std::string& prefix, const ParameterVisitor<Scalar>& visit) {
    visit({prefix + ".word_embeddings.weight", word_.data(), {word_.rows(), word_.cols()}});
    visit({prefix + ".position_embeddings.weight", position_.data(), {position_.rows(), position_.cols()}});
    visit({prefix + ".token_type_embeddings.weight", token_type_.data(), {token_type_.rows(), token_type_.cols()}});
    norm_.visit_parameters(prefix + ".LayerNorm", visit);
    projection_.visit_parameters(prefix + ".projection", visit);
  }

 private:
  RowMatrix<Scalar> word_, position_, token_type_;
  LayerNorm<Scalar> norm_;
  Linear<Scalar> projection_;
};

}  // namespace fnet
