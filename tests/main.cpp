// One Catch2 main shared by every test executable. Some suites run once per ISA level (FNET_MAX_ISA in
// their environment, tests/CMakeLists.txt): on a CPU without that level they report "skipped" (77).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <fnet/cpu.hpp>

int main(int argc, char** argv) {
  if (const char* wanted = std::getenv("FNET_MAX_ISA"); wanted && *wanted) {
    try {
      if (!fnet::cpu::supports(fnet::cpu::parse_isa(wanted))) {
        std::printf("skipped: this CPU does not support FNET_MAX_ISA=%s\n", wanted);
        return 77;
      }
    } catch (const std::invalid_argument& e) {
      std::printf("FNET_MAX_ISA: %s\n", e.what());
      return 2;
    }
  }
  std::printf("fnet kernels: %s\n", fnet::to_string(fnet::cpu::active_isa()));
  return Catch::Session().run(argc, argv);
}
