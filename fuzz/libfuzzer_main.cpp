// The libFuzzer entry of one target, chosen at build time (CNNGEN_FUZZ_TARGET, fuzz/CMakeLists.txt).
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CNNGEN_FUZZ_TARGET(std::span<const uint8_t>(data, size));
  return 0;
}
