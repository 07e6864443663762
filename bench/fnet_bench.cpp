// fnet benchmark suite (Google Benchmark). Every benchmark takes the thread count as an argument
// (Workspace threads; Eigen::setNbThreads for the plain Eigen GEMM) and reports wall-clock time.
//
//   Token mixing, one sequence (batch 1), seq ∈ {64 … 4096, 384, 500, 768}, hidden ∈ {256, 512, 768}:
//     BM_MixingFNet        FourierMixing: Re(fft2(x))
//     BM_MixingFNetMeasure the same with FFTW_MEASURE plans (fnet::fft::set_planner_rigor), hidden 768
//     BM_MixingAttention   bench::AttentionMixing: Q/K/V projections, softmax(QKᵀ/√d)·V, output projection
//     BM_AttentionCore     softmax(QKᵀ/√d)·V alone (Q, K, Vᵀ given)
//   Whole encoder block (batch 1, intermediate = 4·hidden):
//     BM_BlockFNet, BM_BlockBERT   EncoderBlock<float, FourierMixing> / EncoderBlock<float, AttentionMixing>
//   End to end:
//     BM_ForwardFNetBase   FNet-base (12 × 768 × 3072, vocab 32000) random weights, batch {1, 8} × seq {128, 512},
//                          fp32 (int8:0) and int8 dynamic quantization (int8:1; FLOPs count the same model)
//     BM_Classifier        the shipped SST-2 classifier over the SST-2 dev sentences, batch {1, 32}, with
//                          and without tokenization, fp32 and int8
//   Roofline of this machine, in the same run:
//     BM_FmaPeak           the cores' fp32 FMA peak (independent vector FMA chains, no memory traffic) with
//                          the widest vectors of the ISA level in force (AVX-512 or AVX2, chosen at run time)
//     BM_SgemmEigen        C.noalias() = A·B, 512×768 times 768×3072 (Eigen's own parallel GEMM)
//     BM_SgemmPacked       the same product through fnet's Linear: W packed once, the ISA kernel chosen at run time
//     BM_SgemmWorkspace    the same product through ws.gemm (Eigen's kernel: the Isa::generic and double path)
//     BM_FftwR2C           bare fftwf_execute of the r2c 2D plan of each mixing shape (1 thread;
//                          rigor 0 = FFTW_ESTIMATE as the library plans, 1 = FFTW_MEASURE)
//
// FLOP models (counter "FLOPs", a rate; "tokens" is tokens per second):
//   FFT of N = seq·hidden reals: 2.5·N·log2(N) (benchFFT's convention for real transforms)
//   attention core: 4·seq²·hidden (Q·Kᵀ and P·V; softmax not counted)
//   attention sublayer: core + 8·seq·hidden² (four hidden×hidden projections)
//   feed-forward: 4·tokens·hidden·intermediate
//   FNet forward: layers·(feed-forward + batch·FFT) + 2·tokens·hidden² (embedding projection)
//                 + 2·batch·hidden² (pooler) + 2·batch·hidden·labels (classifier)
//   GEMM m×n×k: 2·m·n·k
//
// Environment: FNET_CLASSIFIER_DIR (default <source>/examples/models/sst2-fnet-small) and FNET_SST2_TSV
// (default <source>/../shared/data/sst2/dev.tsv) for BM_Classifier.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <fftw3.h>

#include <fnet/fnet.hpp>
#include <fnet/text/tokenizer.hpp>

#include "attention_mixing.hpp"
#include "bench_common.hpp"

#ifndef FNET_SOURCE_DIR
#define FNET_SOURCE_DIR "."
#endif

#if FNET_HAVE_X86_KERNELS
FNET_ISA_BEGIN_AVX512
namespace fma_peak_avx512 {
using Simd = fnet::detail::avx512::Simd;
#include "fma_peak.inc"
}  // namespace fma_peak_avx512
FNET_ISA_END
FNET_ISA_BEGIN_AVX2
namespace fma_peak_avx2 {
using Simd = fnet::detail::avx2::Simd;
#include "fma_peak.inc"
}  // namespace fma_peak_avx2
FNET_ISA_END
#endif

namespace {

using fnet::Index;
using Scalar = float;
using Matrix = fnet::RowMatrix<Scalar>;
using fnet::bench::AttentionMixing;

const std::vector<std::int64_t> kSeqs = {64, 128, 256, 384, 500, 512, 768, 1024, 2048, 4096};
const std::vector<std::int64_t> kHiddens = {256, 512, 768};
const std::vector<std::int64_t> kThreads = {1, 2};
constexpr Index kHeadDim = 64;  // 12 heads at hidden 768, 8 at 512, 4 at 256

// ---- FLOP models ---------------------------------------------------------------------------------

double fft_flops(double seq, double hidden) {
  const double n = seq * hidden;
  return 2.5 * n * std::log2(n);
}
double attention_core_flops(double seq, double hidden) { return 4.0 * seq * seq * hidden; }
double attention_flops(double seq, double hidden) { return attention_core_flops(seq, hidden) + 8.0 * seq * hidden * hidden; }
double feed_forward_flops(double tokens, double hidden, double intermediate) { return 4.0 * tokens * hidden * intermediate; }
double fnet_forward_flops(const fnet::Config& c, double batch, double seq, double labels) {
  const double h = double(c.hidden_size), tokens = batch * seq;
  return double(c.num_hidden_layers) * (feed_forward_flops(tokens, h, double(c.intermediate_size)) + batch * fft_flops(seq, h)) +
         2.0 * tokens * h * h + 2.0 * batch * h * h + 2.0 * batch * h * labels;
}

void set_rates(benchmark::State& state, double tokens, double flops) {
  if (tokens > 0) state.counters["tokens"] = benchmark::Counter(tokens, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOPs"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::OneK::kIs1000);
}

int threads_arg(const benchmark::State& state, int index) {
  const int threads = static_cast<int>(state.range(index));
  Eigen::setNbThreads(threads);
  return threads;
}

AttentionMixing<Scalar> random_attention(Index hidden, std::uint32_t seed) {
  AttentionMixing<Scalar> attention(hidden, hidden / kHeadDim);
  attention.visit_parameters("layer", fnet::bench::random_weights<Scalar>(seed));
  return attention;
}

// ---- token mixing ---------------------------------------------------------------------------------

void BM_MixingFNet(benchmark::State& state) {
  const Index seq = state.range(0), hidden = state.range(1);
  fnet::Workspace<Scalar> ws(threads_arg(state, 2));
  const Matrix x = fnet::bench::random_matrix<Scalar>(seq, hidden, 1);
  Matrix y(seq, hidden);
  const fnet::FourierMixing<Scalar> mixing;
  auto run = [&] {
    mixing(fnet::ConstMatrixMap<Scalar>(x.data(), seq, hidden), 1, seq, fnet::MatrixMap<Scalar>(y.data(), seq, hidden), ws);
  };
  run();  // plan lookup and workspace growth happen here, not in the timed loop
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, double(seq), fft_flops(double(seq), double(hidden)));
}

// FourierMixing with plans made under fnet::fft::set_planner_rigor(Measure), the library's opt-in. The plan
// cache and FFTW's wisdom are process-wide, so this sets them aside afterwards: the ESTIMATE benchmarks that
// follow must not inherit MEASURE plans (they re-plan in their untimed warm-up call). Google Benchmark calls
// a benchmark function several times while it sizes the iteration count; the wisdom kept aside in between
// makes every call after the first plan instantly.
void BM_MixingFNetMeasure(benchmark::State& state) {
  static std::string measured_wisdom;
  {
    std::lock_guard<std::mutex> lock(fnet::detail::fftw_planner_mutex());
    if (!measured_wisdom.empty()) fftwf_import_wisdom_from_string(measured_wisdom.c_str());
  }
  fnet::fft::clear_plan_cache();
  fnet::fft::set_planner_rigor(fnet::fft::PlannerRigor::Measure);
  BM_MixingFNet(state);
  fnet::fft::clear_plan_cache();
  fnet::fft::set_planner_rigor(fnet::fft::PlannerRigor::Estimate);
  std::lock_guard<std::mutex> lock(fnet::detail::fftw_planner_mutex());
  if (char* text = fftwf_export_wisdom_to_string()) {
    measured_wisdom = text;
    fftwf_free(text);
  }
  fftwf_forget_wisdom();
}

void BM_MixingAttention(benchmark::State& state) {
  const Index seq = state.range(0), hidden = state.range(1);
  fnet::Workspace<Scalar> ws(threads_arg(state, 2));
  const auto attention = random_attention(hidden, 2);
  const Matrix x = fnet::bench::random_matrix<Scalar>(seq, hidden, 1);
  Matrix y(seq, hidden);
  auto run = [&] {
    attention(fnet::ConstMatrixMap<Scalar>(x.data(), seq, hidden), 1, seq, fnet::MatrixMap<Scalar>(y.data(), seq, hidden), ws);
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, double(seq), attention_flops(double(seq), double(hidden)));
}

void BM_AttentionCore(benchmark::State& state) {
  const Index seq = state.range(0), hidden = state.range(1);
  fnet::Workspace<Scalar> ws(threads_arg(state, 2));
  const Matrix q = fnet::bench::random_matrix<Scalar>(seq, hidden, 3), k = fnet::bench::random_matrix<Scalar>(seq, hidden, 4);
  const Matrix vt = fnet::bench::random_matrix<Scalar>(hidden, seq, 5);
  Matrix context(seq, hidden);
  Scalar* scores = ws.data(fnet::Buffer::scratch, seq * seq);
  auto run = [&] {
    AttentionMixing<Scalar>::core(q.data(), k.data(), hidden, vt.data(), seq, 1, seq, hidden, hidden / kHeadDim,
                                  context.data(), scores, ws);
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(context.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, double(seq), attention_core_flops(double(seq), double(hidden)));
}

// ---- roofline: bare FFTW --------------------------------------------------------------------------

struct FftwBuffers {
  float* in;
  fftwf_complex* out;
  FftwBuffers(Index seq, Index hidden)
      : in(static_cast<float*>(fftwf_malloc(sizeof(float) * std::size_t(seq * hidden)))),
        out(static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * std::size_t(seq * (hidden / 2 + 1))))) {}
  ~FftwBuffers() {
    fftwf_free(in);
    fftwf_free(out);
  }
  FftwBuffers(const FftwBuffers&) = delete;
  FftwBuffers& operator=(const FftwBuffers&) = delete;
};

void BM_FftwR2C(benchmark::State& state) {
  const Index seq = state.range(0), hidden = state.range(1);
  const bool measure = state.range(2) != 0;
  FftwBuffers buffers(seq, hidden);
  fftwf_plan plan;
  {
    // The library's planner lock: FFTW's planner is not thread-safe.
    std::lock_guard<std::mutex> lock(fnet::detail::fftw_planner_mutex());
    plan = fftwf_plan_dft_r2c_2d(int(seq), int(hidden), buffers.in, buffers.out,
                                 (measure ? FFTW_MEASURE : FFTW_ESTIMATE) | FFTW_PRESERVE_INPUT);
    // MEASURE leaves wisdom that later ESTIMATE plans (the library's included) would silently reuse.
    fftwf_forget_wisdom();
  }
  if (!plan) {
    state.SkipWithError("FFTW could not plan this shape");
    return;
  }
  const Matrix x = fnet::bench::random_matrix<Scalar>(seq, hidden, 1);
  std::copy(x.data(), x.data() + x.size(), buffers.in);
  fftwf_execute(plan);
  for (auto _ : state) {
    fftwf_execute(plan);
    benchmark::DoNotOptimize(buffers.out);
    benchmark::ClobberMemory();
  }
  set_rates(state, double(seq), fft_flops(double(seq), double(hidden)));
  std::lock_guard<std::mutex> lock(fnet::detail::fftw_planner_mutex());
  fftwf_destroy_plan(plan);
}

// ---- whole encoder block --------------------------------------------------------------------------

template <class Mixing>
void run_block(benchmark::State& state, Mixing mixing, double mixing_flops) {
  const Index seq = state.range(0), hidden = state.range(1), intermediate = 4 * hidden;
  fnet::Workspace<Scalar> ws(threads_arg(state, 2));
  fnet::EncoderBlock<Scalar, Mixing> block(std::move(mixing), hidden, intermediate, fnet::Activation::gelu_new, 1e-12);
  block.visit_parameters("layer", fnet::bench::random_weights<Scalar>(7));
  Matrix x = fnet::bench::random_matrix<Scalar>(seq, hidden, 1);
  fnet::MatrixMap<Scalar> xm(x.data(), seq, hidden);
  block(xm, 1, seq, ws);
  for (auto _ : state) {
    block(xm, 1, seq, ws);  // in place; LayerNorm keeps the values bounded from one iteration to the next
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, double(seq), mixing_flops + feed_forward_flops(double(seq), double(hidden), double(intermediate)));
}

void BM_BlockFNet(benchmark::State& state) {
  run_block(state, fnet::FourierMixing<Scalar>(), fft_flops(double(state.range(0)), double(state.range(1))));
}

void BM_BlockBERT(benchmark::State& state) {
  run_block(state, random_attention(state.range(1), 2), attention_flops(double(state.range(0)), double(state.range(1))));
}

// ---- end to end ------------------------------------------------------------------------------------

// FNet-base with random weights, fp32 or int8 (precision.hpp), built once per precision.
const fnet::FNetModel<Scalar>& fnet_base(fnet::Precision precision = fnet::Precision::fp32) {
  static std::map<fnet::Precision, std::unique_ptr<fnet::FNetModel<Scalar>>> models;
  auto& model = models[precision];
  if (!model) {
    model = std::make_unique<fnet::FNetModel<Scalar>>(fnet::bench::fnet_base_config(), true, fnet::LoadOptions{precision, {}});
    model->visit_parameters(fnet::bench::random_weights<Scalar>(11));
  }
  return *model;
}

void BM_ForwardFNetBase(benchmark::State& state) {
  const Index batch = state.range(0), seq = state.range(1);
  fnet::Workspace<Scalar> ws(threads_arg(state, 2));
  const auto precision = state.range(3) ? fnet::Precision::int8 : fnet::Precision::fp32;
  const auto& model = fnet_base(precision);
  const fnet::TokenIds ids = fnet::bench::random_ids(batch, seq, model.config().vocab_size, 13);
  model.forward(ids, ws);
  for (auto _ : state) {
    auto out = model.forward(ids, ws);
    benchmark::DoNotOptimize(out.logits.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(fnet::to_string(precision));
  set_rates(state, double(batch * seq), fnet_forward_flops(model.config(), double(batch), double(seq), 2.0));
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// The SST-2 sentences of a two-column "label<TAB>text" file with a header row.
std::vector<std::string> read_sentences(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return out;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) out.push_back(line.substr(tab + 1));
  }
  return out;
}

void BM_Classifier(benchmark::State& state) {
  const Index batch = state.range(0);
  const bool tokenize = state.range(1) != 0;
  fnet::Workspace<Scalar> ws(threads_arg(state, 2));
  const std::string dir = env_or("FNET_CLASSIFIER_DIR", FNET_SOURCE_DIR "/examples/models/sst2-fnet-small");
  const std::string tsv = env_or("FNET_SST2_TSV", FNET_SOURCE_DIR "/../shared/data/sst2/dev.tsv");
  if (!fnet::detail::is_directory(dir)) {
    state.SkipWithError(("no classifier at " + dir + " (set FNET_CLASSIFIER_DIR)").c_str());
    return;
  }
  const std::vector<std::string> sentences = read_sentences(tsv);
  if (sentences.empty()) {
    state.SkipWithError(("no sentences in " + tsv + " (set FNET_SST2_TSV)").c_str());
    return;
  }
  const auto precision = state.range(3) ? fnet::Precision::int8 : fnet::Precision::fp32;
  const auto model = fnet::load_model<Scalar>(dir, {precision, {}});
  const fnet::Tokenizer tokenizer(dir);
  const std::int64_t max_length =
      tokenizer.model_max_length() > 0 ? tokenizer.model_max_length() : model.config().max_position_embeddings;

  std::vector<std::vector<std::string>> chunks;
  for (std::size_t i = 0; i < sentences.size(); i += std::size_t(batch))
    chunks.emplace_back(sentences.begin() + std::ptrdiff_t(i),
                        sentences.begin() + std::ptrdiff_t(std::min(sentences.size(), i + std::size_t(batch))));
  std::vector<fnet::BatchEncoding> encoded;
  for (const auto& chunk : chunks) encoded.push_back(tokenizer.encode_batch(chunk, max_length));

  std::int64_t predicted_positive = 0;
  auto run = [&] {
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const fnet::BatchEncoding fresh = tokenize ? tokenizer.encode_batch(chunks[c], max_length) : fnet::BatchEncoding{};
      const fnet::BatchEncoding& e = tokenize ? fresh : encoded[c];
      const auto out = model.forward(e.input_ids, e.token_type_ids, ws);
      for (Index b = 0; b < out.logits.dimension(0); ++b) predicted_positive += out.logits(b, 1) > out.logits(b, 0);
    }
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(predicted_positive);
  }
  const double n = double(sentences.size());
  state.counters["sentences"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens"] = benchmark::Counter(n * double(max_length), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOPs"] = benchmark::Counter(
      double(chunks.size() - 1) * fnet_forward_flops(model.config(), double(batch), double(max_length), 2.0) +
          fnet_forward_flops(model.config(), double(chunks.back().size()), double(max_length), 2.0),
      benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::OneK::kIs1000);
  state.SetLabel(std::to_string(sentences.size()) + " sentences, max_length " + std::to_string(max_length));
}

// ---- roofline: GEMM ---------------------------------------------------------------------------------

constexpr Index kGemmM = 512, kGemmK = 768, kGemmN = 3072;

void BM_SgemmEigen(benchmark::State& state) {
  threads_arg(state, 0);
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(kGemmM, kGemmK), b = Eigen::MatrixXf::Random(kGemmK, kGemmN);
  Eigen::MatrixXf c(kGemmM, kGemmN);
  c.noalias() = a * b;
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, double(kGemmM), 2.0 * kGemmM * kGemmN * kGemmK);
}

// fnet's packed GEMM (the path of every float Linear on x86-64 with AVX2 or AVX-512): y = x·Wᵀ + b with W
// packed once for the ISA level in force.
void BM_SgemmPacked(benchmark::State& state) {
  fnet::Workspace<Scalar> ws(threads_arg(state, 0));
  fnet::Linear<Scalar> linear(kGemmK, kGemmN);
  linear.set_weight(Matrix::Random(kGemmN, kGemmK));
  const Matrix x = Matrix::Random(kGemmM, kGemmK);
  Matrix y(kGemmM, kGemmN);
  linear(x, fnet::MatrixMap<Scalar>(y.data(), kGemmM, kGemmN), ws);
  for (auto _ : state) {
    linear(x, fnet::MatrixMap<Scalar>(y.data(), kGemmM, kGemmN), ws);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(fnet::to_string(linear.packed_weight().isa()));
  set_rates(state, double(kGemmM), 2.0 * kGemmM * kGemmN * kGemmK);
}

void BM_SgemmWorkspace(benchmark::State& state) {
  fnet::Workspace<Scalar> ws(threads_arg(state, 0));
  const Matrix x = Matrix::Random(kGemmM, kGemmK), w = Matrix::Random(kGemmN, kGemmK);
  Matrix y = Matrix::Zero(kGemmM, kGemmN);
  auto& gemm = ws.gemm(kGemmM, kGemmN, kGemmK);
  gemm.run(x.data(), kGemmK, w.data(), kGemmK, y.data(), kGemmN);
  for (auto _ : state) {
    gemm.run(x.data(), kGemmK, w.data(), kGemmK, y.data(), kGemmN);  // y += x·Wᵀ, as Linear runs it
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_rates(state, double(kGemmM), 2.0 * kGemmM * kGemmN * kGemmK);
}

// The cores' fp32 FMA peak with the widest vectors of the ISA level in force (cpu::active_isa(): AVX-512
// or AVX2 + FMA, chosen at run time; 0 on other CPUs), on each of `threads` threads. A GEMM can approach
// this figure but not pass it, so it bounds every FLOP rate above.
void BM_FmaPeak(benchmark::State& state) {
  constexpr long kSteps = 1 << 20;
  const int threads = static_cast<int>(state.range(0));
  const fnet::Isa isa = fnet::cpu::active_isa();
  auto chains = [isa] {
#if FNET_HAVE_X86_KERNELS
    if (isa == fnet::Isa::avx512) return fma_peak_avx512::fma_chains(kSteps);
    if (isa == fnet::Isa::avx2) return fma_peak_avx2::fma_chains(kSteps);
#endif
    return 0.0;
  };
  for (auto _ : state) {
    double sum = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : sum)
#endif
    sum += chains();
    benchmark::DoNotOptimize(sum);
  }
#ifndef _OPENMP
  if (threads > 1) state.SkipWithError("built without OpenMP");
#endif
  double flops = 0;
#if FNET_HAVE_X86_KERNELS
  if (isa == fnet::Isa::avx512) flops = fma_peak_avx512::fma_chains_flops(kSteps);
  if (isa == fnet::Isa::avx2) flops = fma_peak_avx2::fma_chains_flops(kSteps);
#endif
  if (flops == 0) state.SkipWithError("no x86 SIMD kernels on this CPU (Isa::generic)");
  state.SetLabel(fnet::to_string(isa));
  set_rates(state, 0.0, flops * threads);
}

// ---- registration -----------------------------------------------------------------------------------

void mixing_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"seq", "hidden", "threads"})->ArgsProduct({kSeqs, kHiddens, kThreads});
}

BENCHMARK(BM_FmaPeak)->ArgName("threads")->Arg(1)->Arg(2)->MinTime(0.3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmEigen)->ArgName("threads")->Arg(1)->Arg(2)->MinTime(0.3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmPacked)->ArgName("threads")->Arg(1)->Arg(2)->MinTime(0.3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmWorkspace)->ArgName("threads")->Arg(1)->Arg(2)->MinTime(0.3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FftwR2C)
    ->ArgNames({"seq", "hidden", "measure"})
    ->ArgsProduct({kSeqs, kHiddens, {0, 1}})
    ->MinTime(0.1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MixingFNet)->Apply(mixing_shapes)->MinTime(0.1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MixingFNetMeasure)
    ->ArgNames({"seq", "hidden", "threads"})
    ->ArgsProduct({kSeqs, {768}, kThreads})
    ->MinTime(0.1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MixingAttention)->Apply(mixing_shapes)->MinTime(0.1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AttentionCore)->Apply(mixing_shapes)->MinTime(0.1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BlockFNet)->Apply(mixing_shapes)->MinTime(0.1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BlockBERT)->Apply(mixing_shapes)->MinTime(0.1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ForwardFNetBase)
    ->ArgNames({"batch", "seq", "threads", "int8"})
    ->ArgsProduct({{1, 8}, {128, 512}, kThreads, {0, 1}})
    ->MinTime(0.5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Classifier)
    ->ArgNames({"batch", "tokenize", "threads", "int8"})
    ->ArgsProduct({{1, 32}, {0, 1}, kThreads, {0, 1}})
    ->MinTime(0.5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- start-up checks ---------------------------------------------------------------------------------

// AttentionMixing against a direct Eigen formula on a small shape; a wrong baseline would make every
// comparison meaningless, so the suite refuses to run without it.
bool attention_is_correct(int threads) {
  const Index batch = 2, seq = 9, hidden = 32, heads = 4, d = hidden / heads;
  AttentionMixing<Scalar> attention(hidden, heads);
  attention.visit_parameters("layer", fnet::bench::random_weights<Scalar>(5));
  const Matrix x = fnet::bench::random_matrix<Scalar>(batch * seq, hidden, 6);
  Matrix y(batch * seq, hidden);
  fnet::Workspace<Scalar> ws(threads);
  attention(fnet::ConstMatrixMap<Scalar>(x.data(), batch * seq, hidden), batch, seq,
            fnet::MatrixMap<Scalar>(y.data(), batch * seq, hidden), ws);

  auto project = [&](fnet::Linear<Scalar>& l, const Matrix& in) -> Matrix {
    return (in * l.weight().transpose()).rowwise() + l.bias().transpose();
  };
  const Matrix q = project(attention.query(), x), k = project(attention.key(), x), v = project(attention.value(), x);
  Matrix context(batch * seq, hidden);
  for (Index b = 0; b < batch; ++b)
    for (Index h = 0; h < heads; ++h) {
      Matrix s = q.block(b * seq, h * d, seq, d) * k.block(b * seq, h * d, seq, d).transpose() / std::sqrt(Scalar(d));
      for (Index r = 0; r < seq; ++r) {
        s.row(r) = (s.row(r).array() - s.row(r).maxCoeff()).exp().matrix();
        s.row(r) /= s.row(r).sum();
      }
      context.block(b * seq, h * d, seq, d) = s * v.block(b * seq, h * d, seq, d);
    }
  const Matrix expected = project(attention.output(), context);
  const double error = (y - expected).cwiseAbs().maxCoeff() / expected.cwiseAbs().maxCoeff();
  if (error > 1e-5) std::fprintf(stderr, "AttentionMixing (threads %d) differs from the direct formula: %g\n", threads, error);
  return error <= 1e-5;
}

// Plans the library's ESTIMATE plans for every mixing shape before any benchmark plans with MEASURE.
void plan_library_shapes() {
  for (auto seq : kSeqs)
    for (auto hidden : kHiddens) fnet::detail::FftwPlanCache<Scalar>::instance().get(int(seq), int(hidden), true);
}

}  // namespace

int main(int argc, char** argv) {
  if (!attention_is_correct(1) || !attention_is_correct(2)) return 1;
  plan_library_shapes();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
