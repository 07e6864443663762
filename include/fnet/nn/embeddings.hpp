// Embeddings, as Hugging Face's FNetEmbeddings:
//   x = projection(LN(word[id] + position[s] + token_type[type]))
// In an int8 model the word table (vocab × hidden, the largest tensor of a small FNet) is stored as int8
// with one scale per row and each looked-up row is dequantized; the arithmetic stays fp32.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "fnet/config.hpp"
#include "fnet/detail/gemm/quantized_matrix.hpp"
#include "fnet/nn/layer_norm.hpp"
#include "fnet/nn/linear.hpp"

namespace fnet {

template <class Scalar>
class Embeddings {
 public:
  Embeddings() = default;
  // `int8_word_table`: store the word table as int8 rows (float models only).
  explicit Embeddings(const Config& c, bool int8_word_table = false)
      : word_(int8_word_table ? RowMatrix<Scalar>() : RowMatrix<Scalar>::Zero(c.vocab_size, c.hidden_size)),
        position_(RowMatrix<Scalar>::Zero(c.max_position_embeddings, c.hidden_size)),
        token_type_(RowMatrix<Scalar>::Zero(c.type_vocab_size, c.hidden_size)),
        norm_(c.hidden_size, c.layer_norm_eps),
        projection_(c.hidden_size, c.hidden_size) {
    if (int8_word_table) {
      if constexpr (!std::is_same_v<Scalar, float>) throw std::invalid_argument("Embeddings: int8 needs Scalar = float");
      word_int8_ = detail::QuantizedMatrix(c.vocab_size, c.hidden_size, Isa::generic);
    }
  }

  bool int8_word_table() const { return word_int8_.has_value(); }
  // The word table (vocab × hidden): a copy, dequantized if it is stored as int8.
  RowMatrix<Scalar> word() const {
    if (!word_int8_) return word_;
    RowMatrix<Scalar> w(word_int8_->rows(), word_int8_->cols());
    if constexpr (std::is_same_v<Scalar, float>) word_int8_->dequantize(w.data());
    return w;
  }
  Linear<Scalar>& projection() { return projection_; }

  // ids and types: (batch, seq), already validated by the model. out: (batch·seq, hidden).
  void operator()(TokenIdsView ids, TokenIdsView types, MatrixMap<Scalar> out, Workspace<Scalar>& ws) const {
    const Index batch = ids.dimension(0), seq = ids.dimension(1);
    MatrixMap<Scalar> summed = ws.matrix(Buffer::mixed, batch * seq, position_.cols());
    for (Index b = 0; b < batch; ++b)
      for (Index s = 0; s < seq; ++s) {
        auto row = summed.row(b * seq + s);
        row = position_.row(s) + token_type_.row(types(b, s));
        if (word_int8_) {  // s_id · q_id, converted row by row
          const std::int8_t* q = word_int8_->data() + Index(ids(b, s)) * word_int8_->padded_cols();
          const Scalar scale = word_int8_->scales()[ids(b, s)];
          for (Index j = 0; j < row.size(); ++j) row(j) += scale * Scalar(q[j]);
        } else {
          row += word_.row(ids(b, s));
        }
      }
    norm_(summed, ws);
    projection_(summed, out, ws);
  }

  void visit_parameters(const std::string& prefix, const ParameterVisitor<Scalar>& visit) {
    if (word_int8_) {  // the visitor sees the dequantized table; what it writes is quantized again
      RowMatrix<Scalar> w = word();
      visit({prefix + ".word_embeddings.weight", w.data(), {w.rows(), w.cols()}});
      if constexpr (std::is_same_v<Scalar, float>)
        word_int8_ = detail::QuantizedMatrix(w.data(), w.rows(), w.cols(), Isa::generic);
    } else {
      visit({prefix + ".word_embeddings.weight", word_.data(), {word_.rows(), word_.cols()}});
    }
    visit({prefix + ".position_embeddings.weight", position_.data(), {position_.rows(), position_.cols()}});
    visit({prefix + ".token_type_embeddings.weight", token_type_.data(), {token_type_.rows(), token_type_.cols()}});
    norm_.visit_parameters(prefix + ".LayerNorm", visit);
    projection_.visit_parameters(prefix + ".projection", visit);
  }

 private:
  RowMatrix<Scalar> word_, position_, token_type_;  // word_ is empty when the table is int8
  std::optional<detail::QuantizedMatrix> word_int8_;
  LayerNorm<Scalar> norm_;
  Linear<Scalar> projection_;
};

}  // namespace fnet
