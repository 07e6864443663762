// One loaded model (fp32, double and int8) shared by 8 threads, each with its own Workspace, classifying different inputs at
// different sequence lengths, starting from an empty FFTW plan cache so that plans for the same and for
// different shapes are created concurrently. Every output must be bit-identical to a sequential run.
// Built and run under ThreadSanitizer by tools/run_sanitizers.sh (with FNET_WITH_OPENMP=OFF).
//
// With FNET_TEST_TOKENIZER the threads also share one Tokenizer (a tiny SentencePiece model trained at
// test time) and start from text: encode_batch -> forward -> argmax, as an application would.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fnet/fnet.hpp>
#ifdef FNET_TEST_TOKENIZER
#include <fnet/text/tokenizer.hpp>

#include "support/tiny_tokenizer.hpp"
#endif

#include "support/model_writer.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 2;

fnet::Config concurrency_config() {
  fnet::Config c = fnet_test::tiny_config(200);
  c.hidden_size = 48;
  c.intermediate_size = 96;
  c.max_position_embeddings = 64;
  return c;
}

struct Job {
  fnet::TokenIds ids, types;
};

// Different batch sizes and sequence lengths (powers of two, primes, odd and even hidden/seq mixes).
std::vector<Job> make_jobs(const fnet::Config& c) {
  const int lengths[] = {1, 2, 5, 8, 13, 16, 31, 32, 47, 64, 7, 24};
  std::mt19937 rng(99);
  std::uniform_int_distribution<std::int32_t> id(0, static_cast<std::int32_t>(c.vocab_size - 1));
  std::uniform_int_distribution<std::int32_t> type(0, static_cast<std::int32_t>(c.type_vocab_size - 1));
  std::vector<Job> jobs;
  for (int i = 0; i < 12; ++i) {
    const int batch = 1 + i % 3, seq = lengths[i];
    Job j{fnet::TokenIds(batch, seq), fnet::TokenIds(batch, seq)};
    for (Eigen::Index k = 0; k < j.ids.size(); ++k) {
      j.ids.data()[k] = id(rng);
      j.types.data()[k] = type(rng);
    }
    jobs.push_back(std::move(j));
  }
  return jobs;
}

template <class Scalar>
struct Result {
  std::vector<Scalar> hidden, logits;
  bool operator==(const Result& o) const { return hidden == o.hidden && logits == o.logits; }
};

template <class Scalar>
Result<Scalar> run(const fnet::FNetModel<Scalar>& model, const Job& job, fnet::Workspace<Scalar>& ws) {
  const auto out = model.forward(job.ids, job.types, ws);
  return {std::vector<Scalar>(out.hidden_states.data(), out.hidden_states.data() + out.hidden_states.size()),
          std::vector<Scalar>(out.logits.data(), out.logits.data() + out.logits.size())};
}

// Releases all threads at once so they hit the cold plan cache together.
class StartGate {
 public:
  explicit StartGate(int n) : waiting_(n) {}
  void arrive_and_wait() {
    waiting_.fetch_sub(1);
    while (waiting_.load() > 0) std::this_thread::yield();
  }

 private:
  std::atomic<int> waiting_;
};

// Runs body(t, gate) on kThreads threads at once; each body calls gate.arrive_and_wait() once its
// setup is done. Returns each thread's exception message ("" when it threw none).
template <class Body>
std::vector<std::string> run_on_threads(Body body) {
  std::vector<std::string> errors(kThreads);
  StartGate gate(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        body(t, gate);
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& th : threads) th.join();
  return errors;
}

fs::path model_dir() {
  static const fs::path dir = [] {
    const fs::path d = fs::path(FNET_TEST_BINARY_DIR) / "concurrency_model";
    fnet_test::write_random_model(d, concurrency_config(), 2024);
    return d;
  }();
  return dir;
}

}  // namespace

TEST_CASE("8 threads share one model from a cold plan cache; outputs equal the sequential run", "[concurrency]") {
  const auto model_f = fnet::load_model<float>(model_dir().string());
  const auto model_d = fnet::load_model<double>(model_dir().string());
  const auto model_q = fnet::load_model<float>(model_dir().string(), {fnet::Precision::int8, {}});
  const std::vector<Job> jobs = make_jobs(model_f.config());

  // Sequential reference, one workspace for everything.
  std::vector<Result<float>> want_f, want_q;
  std::vector<Result<double>> want_d;
  {
    fnet::Workspace<float> ws_f;
    fnet::Workspace<double> ws_d;
    for (const Job& j : jobs) {
      want_f.push_back(run(model_f, j, ws_f));
      want_d.push_back(run(model_d, j, ws_d));
      want_q.push_back(run(model_q, j, ws_f));
    }
  }

  fnet::fft::clear_plan_cache();
  REQUIRE(fnet::fft::cached_plan_count() == 0);

  // Thread t runs every job, starting at job t (so different threads want different shapes at the
  // same time and the same shapes at nearly the same time), float, double and int8 in turn.
  std::vector<std::vector<Result<float>>> got_f(kThreads), got_q(kThreads);
  std::vector<std::vector<Result<double>>> got_d(kThreads);
  const std::vector<std::string> errors = run_on_threads([&](int t, StartGate& gate) {
    fnet::Workspace<float> ws_f;
    fnet::Workspace<double> ws_d;
    got_f[t].resize(jobs.size() * kRounds);
    got_d[t].resize(jobs.size() * kRounds);
    got_q[t].resize(jobs.size() * kRounds);
    gate.arrive_and_wait();
    for (int round = 0; round < kRounds; ++round)
      for (std::size_t k = 0; k < jobs.size(); ++k) {
        const std::size_t j = (k + static_cast<std::size_t>(t)) % jobs.size();
        const std::size_t slot = static_cast<std::size_t>(round) * jobs.size() + j;
        if ((k + static_cast<std::size_t>(t)) % 2 == 0) {
          got_f[t][slot] = run(model_f, jobs[j], ws_f);
          got_d[t][slot] = run(model_d, jobs[j], ws_d);
          got_q[t][slot] = run(model_q, jobs[j], ws_f);
        } else {
          got_q[t][slot] = run(model_q, jobs[j], ws_f);
          got_d[t][slot] = run(model_d, jobs[j], ws_d);
          got_f[t][slot] = run(model_f, jobs[j], ws_f);
        }
      }
  });

  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    CHECK(errors[t].empty());
    for (int round = 0; round < kRounds; ++round)
      for (std::size_t j = 0; j < jobs.size(); ++j) {
        INFO("round " << round << ", job " << j << " (seq " << jobs[j].ids.dimension(1) << ")");
        CHECK(got_f[t][round * jobs.size() + j] == want_f[j]);
        CHECK(got_d[t][round * jobs.size() + j] == want_d[j]);
        CHECK(got_q[t][round * jobs.size() + j] == want_q[j]);
      }
  }
  // One plan per (shape, alignment) was kept, whichever thread created it first.
  CHECK(fnet::fft::cached_plan_count() > 0);
}

#ifdef FNET_TEST_TOKENIZER
TEST_CASE("8 threads share one Tokenizer and one model: text to label", "[concurrency][tokenizer]") {
  const fs::path dir = fs::path(FNET_TEST_BINARY_DIR) / "concurrency_classifier";
  fnet_test::train_tiny_spm(dir);
  const fnet::Tokenizer tokenizer(dir);
  fnet::Config config = concurrency_config();
  config.vocab_size = tokenizer.vocab_size();
  fnet_test::write_random_model(dir, config, 77);
  const auto model = fnet::load_model<float>(dir.string());

  const std::vector<std::string> all = fnet_test::tiny_corpus(64, 5);
  const std::int64_t lengths[] = {8, 16, 23, 32};
  auto classify = [&](std::size_t i, fnet::Workspace<float>& ws) {
    const std::vector<std::string> texts{all[i], all[(i + 1) % all.size()], "plain text, 1,000 and [MASK]!"};
    const fnet::BatchEncoding enc = tokenizer.encode_batch(texts, lengths[i % 4]);
    const auto out = model.forward(enc.input_ids, enc.token_type_ids, ws);
    std::vector<float> logits(out.logits.data(), out.logits.data() + out.logits.size());
    std::vector<std::int32_t> ids(enc.input_ids.data(), enc.input_ids.data() + enc.input_ids.size());
    return std::make_pair(ids, logits);
  };
  std::vector<std::pair<std::vector<std::int32_t>, std::vector<float>>> want;
  {
    fnet::Workspace<float> ws;
    for (std::size_t i = 0; i < all.size(); ++i) want.push_back(classify(i, ws));
  }
  fnet::fft::clear_plan_cache();

  std::vector<int> mismatches(kThreads, 0);
  const std::vector<std::string> errors = run_on_threads([&](int t, StartGate& gate) {
    fnet::Workspace<float> ws;
    gate.arrive_and_wait();
    for (std::size_t k = 0; k < all.size(); ++k) {
      const std::size_t i = (k * 7 + static_cast<std::size_t>(t) * 3) % all.size();
      if (classify(i, ws) != want[i]) ++mismatches[t];
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    CHECK(errors[t].empty());
    CHECK(mismatches[t] == 0);
  }
}
#endif
