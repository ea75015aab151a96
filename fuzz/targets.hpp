// One fuzz target per reader of hostile input: each takes any bytes, runs the reader on them as a
// user's file (or command line) and returns normally, whether the reader accepts the bytes (true)
// or refuses them with its error (false). A crash, a sanitizer report, a hang or an allocation beyond the
// fuzzer's limit is a bug. Built into libFuzzer harnesses (scripts/fuzz.sh, clang) and into a test
// of the suite that replays the seed corpus and every crash found so far (tests/test_fuzz_inputs.cpp).
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace cnngen::fuzz {

struct Target {
  std::string_view name;  // the folder of its inputs: fuzz/corpus/<name>, fuzz/regressions/<name>
  bool (*run)(std::span<const uint8_t> bytes);
};

bool checkpoint(std::span<const uint8_t> bytes);  // a checkpoint of fuzz_model, loaded for training
bool image(std::span<const uint8_t> bytes);       // a JPEG or PNG file, decoded and resized
bool hdf5(std::span<const uint8_t> bytes);        // an HDF5 file in the course's layout (6x6x3, 6 classes)
bool idx(std::span<const uint8_t> bytes);         // a pair of IDX files: 4 bytes of the first's length, then both
bool command_line(std::span<const uint8_t> bytes);  // NUL-separated arguments, parsed and checked

inline constexpr Target kTargets[] = {
    {"checkpoint", checkpoint}, {"image", image}, {"hdf5", hdf5}, {"idx", idx}, {"command_line", command_line},
};

}  // namespace cnngen::fuzz
