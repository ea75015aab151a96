// Replays each fuzz target's inputs: its seed corpus (fuzz/corpus/<target>/) and every input a
// fuzzer found a crash, a sanitizer report or a runaway allocation with (fuzz/regressions/<target>/,
// each file named for what it found). A target returns normally on any input; under the sanitizer
// build (CNNGEN_SANITIZE) a report fails the test as a crash does.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "../fuzz/targets.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs(std::string_view kind, std::string_view target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(CNNGEN_FUZZ_DIR) / kind / target;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  return files;
}

bool run(const cnngen::fuzz::Target& t, const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  return t.run(bytes);
}

class FuzzInputs : public testing::TestWithParam<cnngen::fuzz::Target> {};

// The seeds are valid inputs: a reader that refused them would leave the fuzzer only its errors.
TEST_P(FuzzInputs, TheSeedsAreRead) {
  const std::vector<fs::path> files = inputs("corpus", GetParam().name);
  ASSERT_FALSE(files.empty()) << "no seed corpus for " << GetParam().name;
  for (const fs::path& f : files) EXPECT_TRUE(run(GetParam(), f)) << f << " is refused";
}

TEST_P(FuzzInputs, EveryCrashFoundIsNowReadOrRefusedCleanly) {
  for (const fs::path& f : inputs("regressions", GetParam().name)) {
    SCOPED_TRACE(f.string());
    run(GetParam(), f);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs, testing::ValuesIn(cnngen::fuzz::kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
