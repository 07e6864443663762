// AttentionMixing: BERT's multi-head self-attention sublayer as an fnet Mixing, the baseline that
// FourierMixing replaces. It is written plainly — no fused kernels, no flash-style tiling, no masking
// (every token attends to every token, as FNet mixes every token with every token):
//
//   Q = X·W_qᵀ + b_q,  K = X·W_kᵀ + b_k,  V = X·W_vᵀ + b_v          (T × H each, T = batch·seq)
//   for each sequence and each of the h heads (d = H / h columns each):
//     P_h = softmax(Q_h·K_hᵀ / √d)                                   (seq × seq, row-wise softmax)
//     C_h = P_h·V_h                                                  (seq × d)
//   Y = C·W_oᵀ + b_o
//
// Every product goes through the Workspace's allocation-free GEMM runner, which computes
// y += x·Wᵀ for row-major x (m×k) and W (n×k). Q·Kᵀ already has that form (W = K_h). P·V does not,
// so V is produced transposed, Vᵀ = W_v·Xᵀ (H × T): its rows h·d … h·d+d−1, restricted to one
// sequence's columns, are then exactly the W (d × seq) that P_h·V_h = P_h·(Vᵀ_h)ᵀ needs.
//
// All intermediate memory lives in Buffer::scratch (Q, K, Vᵀ, C and one seq × seq score matrix, reused
// head after head), so after the first call with a given shape nothing is allocated. The block that
// hosts this mixing uses Buffer::mixed and Buffer::intermediate, the model Buffer::hidden.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include <fnet/nn/linear.hpp>
#include <fnet/parameter.hpp>
#include <fnet/tensor.hpp>
#include <fnet/workspace.hpp>

namespace fnet::bench {

template <class Scalar>
class AttentionMixing {
 public:
  AttentionMixing() = default;
  AttentionMixing(Index hidden, Index heads)
      : query_(hidden, hidden), key_(hidden, hidden), value_(hidden, hidden), output_(hidden, hidden), heads_(heads) {
    if (heads < 1 || hidden % heads != 0)
      throw std::invalid_argument("AttentionMixing: hidden " + std::to_string(hidden) + " is not divisible by " +
                                  std::to_string(heads) + " heads");
  }

  Index hidden() const { return query_.in_features(); }
  Index heads() const { return heads_; }
  Linear<Scalar>& query() { return query_; }
  Linear<Scalar>& key() { return key_; }
  Linear<Scalar>& value() { return value_; }
  Linear<Scalar>& output() { return output_; }

  // Scalars of Buffer::scratch one call needs: Q, K, Vᵀ and C (T × H each) plus one seq × seq score matrix.
  static Index scratch_size(Index batch, Index seq, Index hidden) {
    return 4 * padded(batch * seq * hidden) + padded(seq * seq);
  }

  // y = SelfAttention(x); x and y are (batch·seq, hidden) row-major and must not alias.
  void operator()(ConstMatrixMap<Scalar> x, Index batch, Index seq, MatrixMap<Scalar> y, Workspace<Scalar>& ws) const {
    const Index hidden = this->hidden(), tokens = batch * seq;
    if (x.rows() != tokens || x.cols() != hidden || y.rows() != tokens || y.cols() != hidden)
      throw std::invalid_argument("AttentionMixing: expected x and y of shape (" + std::to_string(tokens) + ", " +
                                  std::to_string(hidden) + ")");
    const Index block = padded(tokens * hidden);
    Scalar* base = ws.data(Buffer::scratch, scratch_size(batch, seq, hidden));
    MatrixMap<Scalar> q(base, tokens, hidden), k(base + block, tokens, hidden);
    MatrixMap<Scalar> vt(base + 2 * block, hidden, tokens), context(base + 3 * block, tokens, hidden);
    Scalar* scores = base + 4 * block;

    query_(x, q, ws);
    key_(x, k, ws);
    // Vᵀ = W_v·Xᵀ + b_v·1ᵀ: the runner's x is W_v (H × H), its W is X (T × H).
    vt.colwise() = value_.bias();
    ws.gemm(hidden, tokens, hidden).run(value_weight_.data(), hidden, x.data(), hidden, vt.data(), tokens);

    core(q.data(), k.data(), hidden, vt.data(), tokens, batch, seq, hidden, heads_, context.data(), scores, ws);
    output_(context, y, ws);
  }

  // The attention core alone: C = softmax(Q_h·K_hᵀ / √d)·V_h for every sequence and head, with no
  // projections. q and k: (batch·seq) rows of leading dimension ld_qk; vt: Vᵀ, hidden rows of leading
  // dimension ld_vt (≥ batch·seq); context: (batch·seq, hidden) row-major, overwritten; scores: seq·seq
  // scalars of scratch.
  static void core(const Scalar* q, const Scalar* k, Index ld_qk, const Scalar* vt, Index ld_vt, Index batch, Index seq,
                   Index hidden, Index heads, Scalar* context, Scalar* scores, Workspace<Scalar>& ws) {
    const Index d = hidden / heads;
    const Scalar scale = Scalar(1) / std::sqrt(Scalar(d));
    MatrixMap<Scalar>(context, batch * seq, hidden).setZero();
    MatrixMap<Scalar> p(scores, seq, seq);
    auto& scores_gemm = ws.gemm(seq, seq, d);
    auto& values_gemm = ws.gemm(seq, d, seq);
    const int threads = ws.threads();
    for (Index b = 0; b < batch; ++b) {
      for (Index h = 0; h < heads; ++h) {
        const Index first_row = b * seq, first_col = h * d;
        // P = Q_h·K_hᵀ
        p.setZero();
        scores_gemm.run(q + first_row * ld_qk + first_col, ld_qk, k + first_row * ld_qk + first_col, ld_qk, scores, seq);
        // Row-wise softmax of P / √d, max-subtracted for range safety.
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
#endif
        for (Index r = 0; r < seq; ++r) {
          auto row = p.row(r).array();
          const Scalar top = row.maxCoeff();
          row = ((row - top) * scale).exp();
          row /= row.sum();
        }
        // C_h += P·V_h, with V_h = (rows first_col … first_col+d−1 of Vᵀ, this sequence's columns)ᵀ.
        values_gemm.run(scores, seq, vt + first_col * ld_vt + first_row, ld_vt, context + first_row * hidden + first_col,
                        hidden);
      }
    }
    (void)threads;
  }

  // BERT's names: attention.self.{query,key,value}, attention.output.dense.
  void visit_parameters(const std::string& layer_prefix, const ParameterVisitor<Scalar>& visit) {
    query_.visit_parameters(layer_prefix + ".attention.self.query", visit);
    key_.visit_parameters(layer_prefix + ".attention.self.key", visit);
    value_.visit_parameters(layer_prefix + ".attention.self.value", visit);
    value_weight_ = value_.weight();  // unpacked, for the Vᵀ product above
    output_.visit_parameters(layer_prefix + ".attention.output.dense", visit);
  }

 private:
  // Sub-buffers start on multiples of 16 scalars, keeping the 64-byte alignment of the scratch buffer.
  static Index padded(Index n) { return (n + 15) / 16 * 16; }

  Linear<Scalar> query_, key_, value_, output_;
  RowMatrix<Scalar> value_weight_;
  Index heads_ = 1;
};

}  // namespace fnet::bench
