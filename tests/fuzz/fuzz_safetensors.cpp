// libFuzzer harness: arbitrary bytes as a model.safetensors file. SafetensorsFile must either reject
// the file with an fnet::error (any other exception escapes and counts as a crash) or accept it, and
// then every tensor it lists must read, into float and double, without touching memory outside the file.
#include <cmath>
#include <cstdint>
#include <vector>

#include "fnet/detail/safetensors.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fnet_fuzz::MemFile file("fuzz_safetensors");
  file.assign(data, size);
  try {
    const fnet::detail::SafetensorsFile st(file.path());
    std::size_t total = 0;
    for (const std::string& name : st.names()) {
      const fnet::detail::TensorInfo& info = st.info(name);
      if (info.end < info.begin || info.begin > size) fnet_fuzz::invariant_failed("offsets outside the file");
      const std::size_t n = (info.end - info.begin) / fnet::detail::dtype_size(info.dtype);
      // The element count the shape implies must be the one the offsets span.
      std::uint64_t numel = 1;
      for (std::int64_t d : info.shape) numel = d == 0 ? 0 : numel * static_cast<std::uint64_t>(d);
      if (numel != n) fnet_fuzz::invariant_failed("shape disagrees with data_offsets");
      total += n;
      if (total > size) fnet_fuzz::invariant_failed("tensors claim more bytes than the file has");
      std::vector<float> as_float(n);
      std::vector<double> as_double(n);
      st.read<float>(name, info.shape, as_float.data());
      st.read<double>(name, info.shape, as_double.data());
      for (std::size_t i = 0; i < n; ++i)  // float is double rounded (or both NaN)
        if (!(as_float[i] == static_cast<float>(as_double[i]) || (std::isnan(as_float[i]) && std::isnan(as_double[i]))))
          fnet_fuzz::invariant_failed("float and double reads disagree");
    }
    for (const auto& kv : st.metadata()) (void)kv;
  } catch (const fnet::error&) {
    // Rejected with a typed error: the expected outcome for most inputs.
  }
  return 0;
}
