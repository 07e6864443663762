// A Catch2 v2 matcher on an exception's what(): every fragment must appear in it. (Catch2 v2's string
// matchers cannot be applied to an exception object in REQUIRE_THROWS_MATCHES.)
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace fnet_test {

class MessageContains : public Catch::MatcherBase<std::exception> {
 public:
  explicit MessageContains(std::vector<std::string> fragments) : fragments_(std::move(fragments)) {}
  bool match(const std::exception& e) const override {
    const std::string what = e.what();
    for (const auto& f : fragments_)
      if (what.find(f) == std::string::npos) return false;
    return true;
  }
  std::string describe() const override {
    std::string s = "has a message containing";
    for (const auto& f : fragments_) s += " \"" + f + "\"";
    return s;
  }

 private:
  std::vector<std::string> fragments_;
};

}  // namespace fnet_test
