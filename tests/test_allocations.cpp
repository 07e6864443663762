// A steady-state forward pass allocates nothing: every heap allocation of the process is counted
// (malloc and friends are replaced below, which also catches operator new, Eigen, FFTW and OpenMP),
// and a forward pass over a (batch, seq) already seen must not make one.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>

#include <malloc.h>

#include <fnet/fnet.hpp>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<long> g_allocations{0};
}

extern "C" {
void* malloc(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* memalign(size_t alignment, size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) { return memalign(alignment, n); }
int posix_memalign(void** out, size_t alignment, size_t n) {
  *out = memalign(alignment, n);
  return *out ? 0 : 12;  // ENOMEM
}
void free(void* p) { __libc_free(p); }
}

namespace {

fnet::Config small_config() {
  fnet::Config c;
  c.vocab_size = 500;
  c.hidden_size = 256;  // 128 tokens × 256 reach FourierMixing's split threshold: batch 1 takes the split path
  c.num_hidden_layers = 2;
  c.intermediate_size = 1024;
  c.max_position_embeddings = 128;
  return c;
}

template <class Scalar>
void fill(fnet::FNetModel<Scalar>& model) {
  std::srand(3);
  model.visit_parameters([](const fnet::ParameterRef<Scalar>& p) {
    std::int64_t n = 1;
    for (auto d : p.shape) n *= d;
    for (std::int64_t i = 0; i < n; ++i) p.data[i] = Scalar(std::rand()) / Scalar(RAND_MAX) * Scalar(0.1) - Scalar(0.05);
  });
}

}  // namespace

TEMPLATE_TEST_CASE("a repeated forward pass allocates nothing", "[allocations]", float, double) {
  // float runs fp32 and int8 (precision.hpp): int8 adds the per-row quantization buffers.
  const auto precision = std::is_same_v<TestType, float> ? GENERATE(fnet::Precision::fp32, fnet::Precision::int8)
                                                         : fnet::Precision::fp32;
  CAPTURE(fnet::to_string(precision));
  fnet::FNetModel<TestType> model(small_config(), true, fnet::LoadOptions{precision, {}});
  fill(model);
  const int threads = GENERATE(1, 2);
  CAPTURE(threads);
  fnet::Workspace<TestType> ws(threads);
  fnet::TokenIds ids(3, 100), types(3, 100);
  for (Eigen::Index i = 0; i < ids.size(); ++i) {
    ids.data()[i] = std::int32_t(i * 7 % 500);
    types.data()[i] = std::int32_t(i % 2);
  }
  fnet::TokenIds short_ids(2, 9);
  short_ids.setConstant(4);
  fnet::TokenIds single(1, 128);  // fewer sequences than threads: one sequence's FFT split over the threads
  for (Eigen::Index i = 0; i < single.size(); ++i) single.data()[i] = std::int32_t(i * 3 % 500);
  static_assert(fnet::FourierMixing<float>::kDefaultSplitThreshold <= 128 * 256);

  // Warm up: first sight of each shape allocates buffers, GEMM packing space and FFT plans.
  model.forward(ids, types, ws);
  model.forward(short_ids, ws);
  model.forward(single, ws);
  const auto warm = model.forward(ids, types, ws);
  const TestType first = warm.hidden_states(2, 99, 95);

  const long before = g_allocations.load();
  const std::size_t workspace_allocations = ws.allocation_count();
  for (int i = 0; i < 3; ++i) {
    model.forward(ids, types, ws);
    model.forward(short_ids, ws);  // a smaller shape reuses the larger buffers
    model.forward(single, ws);
  }
  const auto out = model.forward(ids, types, ws);
  const long during = g_allocations.load() - before;

  CHECK(during == 0);
  CHECK(ws.allocation_count() == workspace_allocations);
  CHECK(out.hidden_states(2, 99, 95) == first);  // and the buffers were reused, not corrupted
}

TEST_CASE("the counting allocator sees allocations", "[allocations]") {
  // Guards the test above against a counter that never counts.
  const long before = g_allocations.load();
  fnet::Workspace<float> ws;
  ws.matrix(fnet::Buffer::hidden, 10, 10);
  CHECK(g_allocations.load() > before);
}
