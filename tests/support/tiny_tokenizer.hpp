// Test support: trains a tiny SentencePiece model (libsentencepiece_train) with the special pieces
// fnet::Tokenizer needs, so concurrency tests and fuzzers can tokenize without downloaded models.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <sentencepiece_trainer.h>

namespace fnet_test {

// A made-up corpus: sentences drawn from a small vocabulary, with numbers, commas and some non-ASCII.
inline std::vector<std::string> tiny_corpus(std::size_t sentences = 1500, unsigned seed = 17) {
  static const char* const words[] = {
      "the",   "a",      "film",   "movie",  "story",  "is",      "was",    "not",     "very",   "quite",
      "good",  "bad",    "great",  "boring", "funny",  "dull",    "bright", "sad",     "and",    "but",
      "with",  "of",     "actors", "plot",   "scenes", "music",   "ending", "moments", "too",    "long",
      "short", "simply", "never",  "always", "charm",  "warmth",  "wit",    "mess",    "gem",    "flat",
      "café",  "naïve",  "über",   "años",   "東京",   "mañana",  "déjà",   "vu",      "it's",   "don't"};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> word(0, sizeof(words) / sizeof(words[0]) - 1);
  std::uniform_int_distribution<int> length(3, 14), number(0, 99999), coin(0, 9);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < sentences; ++i) {
    std::string s;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) {
      if (k) s += coin(rng) == 0 ? ", " : " ";
      s += coin(rng) == 1 ? std::to_string(number(rng)) : words[word(rng)];
    }
    s += coin(rng) < 5 ? "." : "!";
    out.push_back(std::move(s));
  }
  return out;
}

// Writes dir/spiece.model (unigram, ~vocab_size pieces; <pad>=0, <unk>=1, [CLS], [SEP], [MASK] control
// pieces, as FNet's tokenizer expects). Returns the model path.
inline std::filesystem::path train_tiny_spm(const std::filesystem::path& dir, int vocab_size = 200) {
  std::filesystem::create_directories(dir);
  const std::filesystem::path corpus = dir / "corpus.txt";
  {
    std::ofstream f(corpus, std::ios::trunc);
    for (const auto& line : tiny_corpus()) f << line << '\n';
    if (!f) throw std::runtime_error("cannot write " + corpus.string());
  }
  const std::string args = "--input=" + corpus.string() + " --model_prefix=" + (dir / "spiece").string() +
                           " --vocab_size=" + std::to_string(vocab_size) +
                           " --model_type=unigram --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1"
                           " --control_symbols=[CLS],[SEP],[MASK] --split_by_number=false --num_threads=1"
                           " --hard_vocab_limit=false --minloglevel=2";
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) throw std::runtime_error("spm training failed: " + status.ToString());
  std::filesystem::remove(dir / "spiece.vocab");
  std::filesystem::remove(corpus);
  return dir / "spiece.model";
}

}  // namespace fnet_test
