#include "targets.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <cnngen/checkpoint.hpp>
#include <cnngen/cli.hpp>
#include <cnngen/data.hpp>
#include <cnngen/model.hpp>
#include <fuzz_model.hpp>

#include "model.hpp"

// The sanitizer setting of every program the targets run in (the libFuzzer harnesses and the
// replay test), compiled in rather than set in each one's environment: a request malloc cannot meet
// returns NULL, as it does outside ASan. libhdf5 asks for what a corrupt header claims (844 TB in
// fuzz/regressions/hdf5) in load_h5's child process, and must meet what it meets in production;
// requests that can be met but exceed the fuzzer's 2 GB are still reported.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

namespace cnngen::fuzz {

namespace {

// The bytes as a file a reader opens by its path: an anonymous in-memory file, /proc/self/fd/N.
class MemoryFile {
 public:
  explicit MemoryFile(std::span<const uint8_t> bytes) : fd_(::memfd_create("cnngen-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t w = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (w <= 0) throw std::runtime_error(std::string("memfd write: ") + std::strerror(errno));
      done += static_cast<size_t>(w);
    }
  }
  ~MemoryFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// The readers' own refusals are the expected outcome; anything else escapes to the fuzzer.
template <class F>
bool refusals_allowed(F&& read) {
  try {
    read();
    return true;
  } catch (const DataError&) {
  } catch (const CheckpointError&) {
  }
  return false;
}

Model& training_model() {
  static Model model(fuzz_model::model, generated::fuzz_model());
  static const bool compiled = (model.compile(std::make_unique<Adam>(), LossKind::categorical_crossentropy), true);
  (void)compiled;
  return model;
}

void write_file(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(bytes.data()),
                                                                 static_cast<std::streamsize>(bytes.size()));
}

// This process's folder for the targets that read named files.
const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const auto d = std::filesystem::temp_directory_path() / ("cnngen-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

bool checkpoint(std::span<const uint8_t> bytes) {
  const MemoryFile file(bytes);
  Model& model = training_model();
  return refusals_allowed([&] {
    load_checkpoint(file.path(), model.network(), model.optimizer());
    // What a resumed training does next: a step over the state just read.
    if (!model.optimizer()->slots.empty()) model.optimizer()->step(model.network().parameters());
  });
}

bool image(std::span<const uint8_t> bytes) {
  const MemoryFile file(bytes);
  return refusals_allowed([&] { to_input(read_image(file.path()), 6, 6); });
}

bool hdf5(std::span<const uint8_t> bytes) {
  // HDF5 does not open /proc/self/fd/N (it finds no file there): a named file in the temporary folder.
  const std::string path = (scratch_dir() / "data.h5").string();
  write_file(path, bytes);
  return refusals_allowed([&] { load_h5(path, "test_set", 6, 6, 6); });
}

bool idx(std::span<const uint8_t> bytes) {
  const std::filesystem::path& dir = scratch_dir();
  uint32_t first = 0;
  if (bytes.size() >= 4) std::memcpy(&first, bytes.data(), 4), bytes = bytes.subspan(4);
  const size_t split = std::min<size_t>(first, bytes.size());
  write_file(dir / "train-images-idx3-ubyte", bytes.first(split));
  write_file(dir / "train-labels-idx1-ubyte", bytes.subspan(split));
  return refusals_allowed([&] { load_idx(dir.string(), "train", 8, 8, 10); });
}

bool command_line(std::span<const uint8_t> bytes) {
  std::vector<std::string> args{"fuzz_model"};
  std::string arg;
  for (const uint8_t b : bytes) {
    if (b == 0) args.push_back(arg), arg.clear();
    else arg.push_back(static_cast<char>(b));
  }
  args.push_back(arg);
  if (args.size() > 64) return false;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  static const Program program{.name = "fuzz_model", .graph = fuzz_model::model, .kernels = generated::fuzz_model(),
                               .loss = LossKind::categorical_crossentropy, .task = "fuzzing"};
  std::ostringstream quiet;  // the usage messages, not the fuzzer's output
  std::streambuf* err = std::cerr.rdbuf(quiet.rdbuf());
  const int status = check_command_line(static_cast<int>(args.size()), argv.data(), program);
  std::cerr.rdbuf(err);
  return status == 0;
}

}  // namespace cnngen::fuzz
