// The GEMM backends fnet could use, side by side on FNet-base's Linear shapes (Google Benchmark):
//
//   BM_FnetPacked   fnet's own kernels on weights packed once (the ISA level in force: cpu::active_isa()),
//                   bias fused; with gelu_new fused too for the expanding shape
//   BM_EigenGebp    Eigen's gebp kernel through ws.gemm (fnet's path before packed weights, and the
//                   Isa::generic fallback): W re-packed on every call, bias and activation separate
//   BM_OpenBLAS     cblas_sgemm (Debian's DYNAMIC_ARCH OpenBLAS, runtime CPU dispatch), bias pre-filled
//   BM_FnetInt8     fnet's int8 Linear (precision.hpp): per-row input quantization included
//   BM_OneDNNInt8   oneDNN's u8·s8 matmul with per-channel output scales (input quantization not timed)
//   BM_FnetFeedForwardLayers  FNet-base's feed-forward GEMMs over 1 or 12 layers of distinct weights
//   BM_OneDNN       oneDNN matmul with weights reordered once into the layout it chooses (format any),
//                   bias and gelu_tanh as post-ops (Debian's libdnnl 2.6, JIT per CPU)
//
// Arguments: m (tokens), n (output features), k (input features), threads; plus act (0: bias only,
// 1: bias + gelu_new). Built when libbenchmark-dev is installed; the OpenBLAS and oneDNN cases when
// libopenblas-dev and libdnnl-dev are (they are only for this comparison: fnet does not link them).
// For an AVX2 comparison on an AVX-512 machine, build with -DFNET_NATIVE_FLAGS=-march=x86-64-v3 (Eigen's
// kernel is chosen at compile time) and cap the others: FNET_MAX_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2
// OPENBLAS_CORETYPE=Haswell.
#include <benchmark/benchmark.h>

#include <fnet/fnet.hpp>

#include "bench_common.hpp"

#ifdef FNET_BENCH_OPENBLAS
#include <cblas.h>
#endif
#ifdef FNET_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

using fnet::Index;
using Matrix = fnet::RowMatrix<float>;

struct Shape {
  Index m, n, k;
  int threads;
  bool gelu;
};

Shape shape_of(const benchmark::State& state) {
  return {state.range(0), state.range(1), state.range(2), static_cast<int>(state.range(3)), state.range(4) != 0};
}

void set_rate(benchmark::State& state, const Shape& s) {
  state.counters["FLOPs"] = benchmark::Counter(2.0 * double(s.m) * double(s.n) * double(s.k),
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
}

template <class Run>
void time_it(benchmark::State& state, const Shape& s, Run&& run) {
  run();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  set_rate(state, s);
}

void run_linear(benchmark::State& state, fnet::Isa isa) {
  const Shape s = shape_of(state);
  const fnet::Isa before = fnet::cpu::active_isa();
  fnet::cpu::set_max_isa(isa);  // Linear packs for the level in force
  fnet::Linear<float> linear(s.k, s.n);
  linear.set_weight(fnet::bench::random_matrix<float>(s.n, s.k, 1, 0.05));
  fnet::cpu::set_max_isa(before);
  const Matrix x = fnet::bench::random_matrix<float>(s.m, s.k, 2);
  Matrix y(s.m, s.n);
  fnet::Workspace<float> ws(s.threads);
  fnet::LinearFusion<float> fused;
  if (s.gelu) fused.activation = fnet::Activation::gelu_new;
  time_it(state, s, [&] { linear(x, fnet::MatrixMap<float>(y.data(), s.m, s.n), ws, fused); });
  state.SetLabel(fnet::to_string(isa));
}

void BM_FnetPacked(benchmark::State& state) { run_linear(state, fnet::cpu::active_isa()); }

// fnet's int8 Linear: the input quantized per row, the u8·s8 GEMM, dequantization, bias (and gelu_new)
// in the write-back. Counted as 2·m·n·k operations, like the float cases.
void BM_FnetInt8(benchmark::State& state) {
  const Shape s = shape_of(state);
  fnet::Linear<float> linear(s.k, s.n);
  linear.set_weight(fnet::bench::random_matrix<float>(s.n, s.k, 1, 0.05));
  linear.quantize();
  const Matrix x = fnet::bench::random_matrix<float>(s.m, s.k, 2);
  Matrix y(s.m, s.n);
  fnet::Workspace<float> ws(s.threads);
  fnet::LinearFusion<float> fused;
  if (s.gelu) fused.activation = fnet::Activation::gelu_new;
  time_it(state, s, [&] { linear(x, fnet::MatrixMap<float>(y.data(), s.m, s.n), ws, fused); });
  state.SetLabel(linear.quantized_weight()->kernels() ? linear.quantized_weight()->kernels()->name : "generic");
}
void BM_EigenGebp(benchmark::State& state) {
  Eigen::setNbThreads(1);
  run_linear(state, fnet::Isa::generic);
}

// The feed-forward GEMMs of `layers` FNet-base layers (768 → 3072 with gelu_new, 3072 → 768), each layer
// with its own weights as in a forward pass (12 layers: 226 MB, streamed from memory every pass), against
// one layer's weights reused (18.9 MB, mostly cache-resident): what streaming the weights costs.
void BM_FnetFeedForwardLayers(benchmark::State& state) {
  const Index layers = state.range(0), m = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  std::vector<fnet::FeedForward<float>> stack;
  for (Index l = 0; l < layers; ++l) {
    stack.emplace_back(768, 3072, fnet::Activation::gelu_new);
    stack.back().expand().set_weight(fnet::bench::random_matrix<float>(3072, 768, unsigned(2 * l + 1), 0.05));
    stack.back().contract().set_weight(fnet::bench::random_matrix<float>(768, 3072, unsigned(2 * l + 2), 0.05));
  }
  const Matrix x = fnet::bench::random_matrix<float>(m, 768, 7);
  Matrix y(m, 768);
  fnet::Workspace<float> ws(threads);
  auto run = [&] {
    for (const auto& ff : stack)
      ff(fnet::ConstMatrixMap<float>(x.data(), m, 768), fnet::MatrixMap<float>(y.data(), m, 768), ws);
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.counters["FLOPs"] = benchmark::Counter(4.0 * double(layers) * double(m) * 768 * 3072,
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
}

#ifdef FNET_BENCH_OPENBLAS
void BM_OpenBLAS(benchmark::State& state) {
  const Shape s = shape_of(state);
  openblas_set_num_threads(s.threads);
  const Matrix x = fnet::bench::random_matrix<float>(s.m, s.k, 2), w = fnet::bench::random_matrix<float>(s.n, s.k, 1, 0.05);
  const Eigen::VectorXf bias = fnet::bench::random_matrix<float>(s.n, 1, 3);
  Matrix y(s.m, s.n);
  time_it(state, s, [&] {
    y.rowwise() = bias.transpose();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(s.m), int(s.n), int(s.k), 1.0f, x.data(), int(s.k),
                w.data(), int(s.k), 1.0f, y.data(), int(s.n));
    if (s.gelu) fnet::apply_activation(fnet::Activation::gelu_new, fnet::MatrixMap<float>(y.data(), s.m, s.n));
  });
  state.SetLabel(openblas_get_corename());
}
#endif

#ifdef FNET_BENCH_ONEDNN
void BM_OneDNN(benchmark::State& state) {
  using namespace dnnl;
  const Shape s = shape_of(state);
  omp_set_num_threads(s.threads);  // oneDNN's OpenMP runtime uses the calling thread's team size
  engine cpu(engine::kind::cpu, 0);
  stream stream(cpu);
  const Matrix x = fnet::bench::random_matrix<float>(s.m, s.k, 2), w = fnet::bench::random_matrix<float>(s.n, s.k, 1, 0.05);
  const Eigen::VectorXf bias = fnet::bench::random_matrix<float>(s.n, 1, 3);
  Matrix y(s.m, s.n);
  const memory::desc x_md({s.m, s.k}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc w_user({s.k, s.n}, memory::data_type::f32, memory::format_tag::ba);  // Wᵀ of PyTorch's W
  const memory::desc w_any({s.k, s.n}, memory::data_type::f32, memory::format_tag::any);
  const memory::desc b_md({1, s.n}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc y_md({s.m, s.n}, memory::data_type::f32, memory::format_tag::ab);
  primitive_attr attr;
  if (s.gelu) {
    post_ops ops;
    ops.append_eltwise(1.0f, algorithm::eltwise_gelu_tanh, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  const matmul::primitive_desc pd(matmul::desc(x_md, w_any, b_md, y_md), attr, cpu);
  memory w_src(w_user, cpu, const_cast<float*>(w.data())), w_packed(pd.weights_desc(), cpu);
  reorder(w_src, w_packed).execute(stream, w_src, w_packed);  // once, as at load
  stream.wait();
  memory x_mem(x_md, cpu, const_cast<float*>(x.data())), b_mem(b_md, cpu, const_cast<float*>(bias.data()));
  memory y_mem(y_md, cpu, y.data());
  const matmul product(pd);
  const std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, w_packed}, {DNNL_ARG_BIAS, b_mem}, {DNNL_ARG_DST, y_mem}};
  time_it(state, s, [&] {
    product.execute(stream, args);
    stream.wait();
  });
  state.SetLabel(pd.impl_info_str());
}

// oneDNN's int8 matmul: u8 activations (already quantized: oneDNN 2.6 takes one source scale per
// tensor, not per row) times s8 weights reordered once, f32 output with one scale per output channel and
// bias; gelu_tanh as a post-op for the expanding shape. The quantization of the input is not timed.
void BM_OneDNNInt8(benchmark::State& state) {
  using namespace dnnl;
  const Shape s = shape_of(state);
  omp_set_num_threads(s.threads);
  engine cpu(engine::kind::cpu, 0);
  stream stream(cpu);
  std::vector<std::uint8_t> x(static_cast<std::size_t>(s.m * s.k), 131);
  std::vector<std::int8_t> w(static_cast<std::size_t>(s.n * s.k));
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<std::int8_t>(int(i * 37 % 255) - 127);
  const Eigen::VectorXf bias = fnet::bench::random_matrix<float>(s.n, 1, 3);
  std::vector<float> scales(static_cast<std::size_t>(s.n), 0.01f);
  Matrix y(s.m, s.n);
  const memory::desc x_md({s.m, s.k}, memory::data_type::u8, memory::format_tag::ab);
  const memory::desc w_user({s.k, s.n}, memory::data_type::s8, memory::format_tag::ba);
  const memory::desc w_any({s.k, s.n}, memory::data_type::s8, memory::format_tag::any);
  const memory::desc b_md({1, s.n}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc y_md({s.m, s.n}, memory::data_type::f32, memory::format_tag::ab);
  primitive_attr attr;
  attr.set_output_scales(2, scales);  // per output channel
  if (s.gelu) {
    post_ops ops;
    ops.append_eltwise(1.0f, algorithm::eltwise_gelu_tanh, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  const matmul::primitive_desc pd(matmul::desc(x_md, w_any, b_md, y_md), attr, cpu);
  memory w_src(w_user, cpu, w.data()), w_packed(pd.weights_desc(), cpu);
  reorder(w_src, w_packed).execute(stream, w_src, w_packed);
  stream.wait();
  memory x_mem(x_md, cpu, x.data()), b_mem(b_md, cpu, const_cast<float*>(bias.data())), y_mem(y_md, cpu, y.data());
  const matmul product(pd);
  const std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, w_packed}, {DNNL_ARG_BIAS, b_mem}, {DNNL_ARG_DST, y_mem}};
  time_it(state, s, [&] {
    product.execute(stream, args);
    stream.wait();
  });
  state.SetLabel(pd.impl_info_str());
}
#endif

// FNet-base's feed-forward GEMMs (expand 768 → 3072 with gelu_new, contract 3072 → 768) at 128 and 512
// tokens, and the 768 × 768 embedding projection, on 1 and 2 threads.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k", "threads", "act"});
  for (std::int64_t threads : {1, 2})
    for (std::int64_t m : {128, 512}) {
      b->Args({m, 3072, 768, threads, 1});
      b->Args({m, 768, 3072, threads, 0});
      b->Args({m, 768, 768, threads, 0});
    }
  b->MinTime(0.3)->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_FnetPacked)->Apply(shapes);
BENCHMARK(BM_EigenGebp)->Apply(shapes);
BENCHMARK(BM_FnetInt8)->Apply(shapes);
BENCHMARK(BM_FnetFeedForwardLayers)
    ->ArgNames({"layers", "m", "threads"})
    ->ArgsProduct({{1, 12}, {128, 512}, {1}})
    ->MinTime(0.5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
#ifdef FNET_BENCH_OPENBLAS
BENCHMARK(BM_OpenBLAS)->Apply(shapes);
#endif
#ifdef FNET_BENCH_ONEDNN
BENCHMARK(BM_OneDNN)->Apply(shapes);
BENCHMARK(BM_OneDNNInt8)->Apply(shapes);
#endif
BENCHMARK_MAIN();
