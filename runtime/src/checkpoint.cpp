#include <cnngen/checkpoint.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>

#include "fd_io.hpp"

namespace cnngen {

namespace {

constexpr char kMagic[8] = {'C', 'N', 'N', 'G', 'E', 'N', 'C', 'K'};
constexpr uint32_t kVersion = 2;  // 2: the training's settings after the epochs
// A setting's key and value are short: a bound that keeps a forged count from costing memory.
constexpr uint32_t kMaxSettings = 64, kMaxSettingBytes = 4096;

constexpr uint64_t kFnvBasis = 1469598103934665603ull;

uint64_t fnv1a(const char* p, size_t n, uint64_t h = kFnvBasis) {
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  return h;
}

void write_fully(int fd, const char* bytes, size_t size, const std::string& path) {
  if (!write_all(fd, bytes, size)) throw CheckpointError(path + ": write failed (" + std::strerror(errno) + ")");
}

// Writes straight to the file, hashing as it goes: a ResNet50's weights and Adam state are 282 MB,
// which a buffer of the whole checkpoint held a second time.
struct Writer {
  int fd;
  const std::string& path;
  uint64_t hash = kFnvBasis;
  void raw(const char* p, size_t n) {
    hash = fnv1a(p, n, hash);
    write_fully(fd, p, n, path);
  }
  template <class T>
  void put(const T& v) { raw(reinterpret_cast<const char*>(&v), sizeof v); }
  void put_string(const std::string& s) { put<uint32_t>(static_cast<uint32_t>(s.size())), raw(s.data(), s.size()); }
  template <class Floats>
  void put_floats(const Floats& v) {
    put<uint64_t>(v.size());
    raw(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
};

// Reads a checkpoint whose every count and size is hostile until checked: each field is checked
// against what the model expects before anything is allocated or indexed, without arithmetic that
// can wrap, and an error names the file and the field.
struct Reader {
  const std::string& bytes;
  const std::string& path;
  size_t pos = 0;
  [[noreturn]] void fail(const std::string& what) const { throw CheckpointError(path + ": " + what); }
  size_t left() const { return bytes.size() - 8 - pos; }  // the checksum ends the file
  void need(size_t n, const char* field) const {
    if (left() < n) fail(std::string("truncated checkpoint (") + field + ")");
  }
  template <class T>
  T get(const char* field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, bytes.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string get_string(const char* field) {
    const uint32_t n = get<uint32_t>(field);
    need(n, field);
    std::string s = bytes.substr(pos, n);
    pos += n;
    return s;
  }
  // Exactly `expected` floats, or an error naming the field.
  template <class Floats>
  Floats get_floats(size_t expected, const std::string& field) {
    const uint64_t n = get<uint64_t>(field.c_str());
    if (n != expected)
      fail(field + " holds " + std::to_string(n) + " values, the model expects " + std::to_string(expected));
    if (left() / sizeof(float) < expected) fail("truncated checkpoint (" + field + ")");
    Floats v(expected);
    std::memcpy(v.data(), bytes.data() + pos, expected * sizeof(float));
    pos += expected * sizeof(float);
    return v;
  }
};

// The largest checkpoint of `net`: every parameter with the most optimizer slots any optimizer
// keeps, names of at most 4 KB each. A file larger than this is refused before it is read, so
// that a wrong path (a disk image, /dev/zero) never fills the memory.
uint64_t size_bound(const Network& net) {
  uint64_t floats = 0, fields = 4;
  for (const Parameter& p : net.parameters())
    floats += uint64_t(p.value.size()) * (1 + (p.trainable ? kMaxSlotsPerParameter : 0)), fields += 3;
  return 64 + floats * sizeof(float) + fields * (4096 + 16) + kMaxSettings * 2 * (kMaxSettingBytes + 4);
}

// The whole file, if it is a regular file no larger than `limit`. Opened without blocking, so that
// a FIFO is refused rather than waited on.
std::string read_bounded(const std::string& path, uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw CheckpointError(path + ": no such checkpoint");
    throw CheckpointError(path + ": cannot open (" + std::strerror(errno) + ")");
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw CheckpointError(path + ": cannot stat (" + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) throw CheckpointError(path + ": is a folder, not a checkpoint");
  if (!S_ISREG(st.st_mode)) throw CheckpointError(path + ": not a regular file, not a checkpoint");
  if (uint64_t(st.st_size) > limit)
    throw CheckpointError(path + ": " + std::to_string(st.st_size) + " bytes, more than any checkpoint of this model (" +
                          std::to_string(limit) + "): not a checkpoint of it");
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  const ssize_t got = read_all(fd, bytes.data(), bytes.size());
  if (got < 0) throw CheckpointError(path + ": read failed (" + std::strerror(errno) + ")");
  bytes.resize(size_t(got));  // shorter if it shrank while read: the checks below see a truncated file
  return bytes;
}

// What a signal handler removes: the temporary file while one is written, and the held lock's file.
// Fixed buffers, written before the handler may read them: a handler may not allocate.
char g_tmp_path[4096], g_lock_path[4096];
volatile std::sig_atomic_t g_writing = 0, g_locked = 0;
// The signals a CheckpointLock handles, and their dispositions before it, restored after it.
constexpr int kHandled[3] = {SIGINT, SIGTERM, SIGXFSZ};
struct sigaction g_previous[3];

void copy_path(char (&to)[4096], const std::string& from) {
  if (from.size() >= sizeof to) throw CheckpointError(from + ": path longer than " + std::to_string(sizeof to - 1) + " bytes");
  std::memcpy(to, from.c_str(), from.size() + 1);
}

extern "C" void remove_files_and_reraise(int sig) {
  if (g_writing) ::unlink(g_tmp_path);
  if (g_locked) ::unlink(g_lock_path);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Marks a temporary file as being written for the handler, for one scope.
struct Writing {
  explicit Writing(const std::string& tmp) {
    copy_path(g_tmp_path, tmp);
    g_writing = 1;
  }
  ~Writing() { g_writing = 0; }
};

}  // namespace

CheckpointLock::CheckpointLock(const std::string& path) : lock_path_(path + ".lock") {
  if (g_locked) throw std::logic_error("CheckpointLock: a process holds one at a time");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw CheckpointError(path + ": not a regular file, so no checkpoint can replace it");
  copy_path(g_lock_path, lock_path_);
  for (;;) {
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw CheckpointError(path + ": no checkpoint can be written there (" + std::strerror(errno) + ")");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char pid[32] = {};
      const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
      ::close(fd_);
      throw CheckpointError(path + ": in use by another training (process " + (n > 0 ? std::string(pid, n) : "unknown") +
                            ", " + lock_path_ + "): let it finish or pass another --checkpoint");
    }
    // The holder before us may have removed the file between our open and our lock: then lock the new one.
    struct stat held {}, now {};
    if (::fstat(fd_, &held) == 0 && ::stat(lock_path_.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev)
      break;
    ::close(fd_);
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const std::string why = std::strerror(errno);
    ::unlink(lock_path_.c_str());
    ::close(fd_);
    throw CheckpointError(path + ": no checkpoint can be written there (" + why + ")");
  }
  g_locked = 1;
  struct sigaction handler {}, ignore {};
  handler.sa_handler = remove_files_and_reraise;
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&handler.sa_mask);
  sigemptyset(&ignore.sa_mask);
  for (int i = 0; i < 3; ++i) {
    ::sigaction(kHandled[i], nullptr, &g_previous[i]);
    // An ignored SIGINT or SIGTERM (nohup, a background job) stays ignored.
    if (kHandled[i] == SIGXFSZ) ::sigaction(kHandled[i], &ignore, nullptr);
    else if (g_previous[i].sa_handler != SIG_IGN) ::sigaction(kHandled[i], &handler, nullptr);
  }
}

CheckpointLock::~CheckpointLock() {
  for (int i = 0; i < 3; ++i) ::sigaction(kHandled[i], &g_previous[i], nullptr);
  g_locked = 0;
  ::unlink(lock_path_.c_str());
  ::close(fd_);
}

void save_checkpoint(const std::string& path, const Network& net, const Optimizer* opt, const TrainingProgress& progress) {
  const std::string tmp = path + ".tmp";
  const Writing writing(tmp);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw CheckpointError(tmp + ": cannot create (" + std::strerror(errno) + ")");
  try {
    Writer w{fd, tmp};
    w.raw(kMagic, sizeof kMagic);
    w.put(kVersion);
    w.put_string(std::string(net.graph().name));
    w.put<uint32_t>(static_cast<uint32_t>(net.parameters().size()));
    for (const Parameter& p : net.parameters()) {
      w.put_string(p.name);
      w.put_floats(p.value);
    }
    w.put_string(opt ? opt->name() : "");
    w.put<int64_t>(opt ? opt->iterations : 0);
    w.put<double>(opt ? opt->learning_rate : 0);
    w.put<uint32_t>(opt ? static_cast<uint32_t>(opt->slots.size()) : 0);
    if (opt)
      for (const auto& s : opt->slots) w.put_floats(s);
    w.put<int32_t>(progress.epochs_done);
    if (progress.settings.size() > kMaxSettings) throw CheckpointError(tmp + ": more than 64 training settings");
    w.put<uint32_t>(static_cast<uint32_t>(progress.settings.size()));
    for (const auto& [key, value] : progress.settings) {
      if (key.size() > kMaxSettingBytes || value.size() > kMaxSettingBytes)
        throw CheckpointError(tmp + ": training setting " + key.substr(0, 64) + " longer than 4096 bytes");
      w.put_string(key), w.put_string(value);
    }
    const uint64_t checksum = w.hash;
    write_fully(fd, reinterpret_cast<const char*>(&checksum), sizeof checksum, tmp);
    if (::fsync(fd) != 0) throw CheckpointError(tmp + ": fsync failed (" + std::strerror(errno) + ")");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw CheckpointError(path + ": cannot replace (" + why + ")");
  }
  // The rename itself must reach the disk too.
  const std::string dir = std::filesystem::absolute(path).parent_path().string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

// A whole checkpoint file's magic, checksum and format version: returns the version, `r` (reading
// `bytes`) placed after it. `not_one` is what to say of a file that is no checkpoint.
uint32_t read_header(const std::string& bytes, const std::string& path, Reader& r, const std::string& not_one) {
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw CheckpointError(path + ": " + not_one);
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (stored != fnv1a(bytes.data(), bytes.size() - 8))
    throw CheckpointError(path + ": corrupt checkpoint (checksum mismatch)");
  // The checksum only catches accidents: every field is checked as if forged.
  r.pos = sizeof kMagic;
  const uint32_t version = r.get<uint32_t>("version");
  if (version < 1 || version > kVersion)
    r.fail("checkpoint format version " + std::to_string(version) + ", this build reads 1 to " + std::to_string(kVersion));
  return version;
}

}  // namespace

TrainingProgress load_checkpoint(const std::string& path, Network& net, Optimizer* opt) {
  const std::string bytes = read_bounded(path, size_bound(net));
  Reader r{bytes, path};
  const uint32_t version = read_header(bytes, path, r, "not a cnngen checkpoint");
  const std::string model = r.get_string("model name");
  if (model != net.graph().name) r.fail("checkpoint of model " + model + ", not " + std::string(net.graph().name));
  const uint32_t count = r.get<uint32_t>("parameter count");
  if (count != net.parameters().size())
    r.fail("checkpoint has " + std::to_string(count) + " parameters, the model " + std::to_string(net.parameters().size()));
  // Read everything into copies first: a bad checkpoint must leave the network and optimizer as they were.
  std::vector<FloatArray> values;
  for (const Parameter& p : net.parameters()) {
    const std::string name = r.get_string("parameter name");
    if (name != p.name) r.fail("parameter " + name + " where the model has " + p.name);
    values.push_back(r.get_floats<FloatArray>(p.value.size(), p.name));
  }
  const std::string opt_name = r.get_string("optimizer name");
  const int64_t iterations = r.get<int64_t>("optimizer iterations");
  const double lr = r.get<double>("learning rate");
  const uint32_t slots = r.get<uint32_t>("optimizer slot count");
  std::vector<size_t> expected;  // the slot sizes opt_name keeps for this network
  if (!opt_name.empty()) {
    const int per_parameter = slots_per_parameter(opt_name);
    if (per_parameter < 0) r.fail("unknown optimizer '" + opt_name + "'");
    expected = slot_sizes(net.parameters(), per_parameter);
    // Slots are made at the first step: none before it, all of them after.
    if (slots != 0 && slots != expected.size())
      r.fail("optimizer slot count " + std::to_string(slots) + ", " + opt_name + " keeps " + std::to_string(expected.size()) +
             " for this model");
    if (iterations < 0 || iterations > (int64_t{1} << 53) || (iterations > 0) != (slots > 0))
      r.fail("optimizer iterations " + std::to_string(iterations) + " with " + std::to_string(slots) + " slots");
    if (!std::isfinite(lr) || lr <= 0) r.fail("learning rate " + std::to_string(lr) + " is not a positive finite number");
  } else if (slots != 0 || iterations != 0) {
    r.fail("optimizer state without an optimizer name");
  }
  std::vector<std::vector<float>> slot_values;
  for (uint32_t i = 0; i < slots; ++i)
    slot_values.push_back(r.get_floats<std::vector<float>>(expected[i], "optimizer slot " + std::to_string(i)));
  const int32_t epochs = r.get<int32_t>("epochs done");
  if (epochs < 0) r.fail("epochs done " + std::to_string(epochs) + " is negative");
  TrainingProgress progress{epochs, {}};
  if (version >= 2) {
    const uint32_t count = r.get<uint32_t>("setting count");
    if (count > kMaxSettings) r.fail("setting count " + std::to_string(count) + " is more than " + std::to_string(kMaxSettings));
    for (uint32_t i = 0; i < count; ++i) {
      std::string key = r.get_string("setting name"), value = r.get_string("setting value");
      if (key.size() > kMaxSettingBytes || value.size() > kMaxSettingBytes) r.fail("a training setting longer than 4096 bytes");
      if (!progress.settings.emplace(std::move(key), std::move(value)).second) r.fail("a training setting named twice");
    }
  }
  if (r.left() != 0) r.fail(std::to_string(r.left()) + " bytes after the last field");
  if (opt && !opt_name.empty()) {
    if (opt_name != opt->name()) r.fail("optimizer state of " + opt_name + ", the training uses " + opt->name());
    opt->iterations = iterations;
    opt->learning_rate = lr;
    opt->slots = std::move(slot_values);
  }
  for (size_t i = 0; i < values.size(); ++i) net.parameters()[i].value = std::move(values[i]);
  return progress;
}

InitReport init_from_checkpoint(const std::string& path, Network& net, bool with_outputs) {
  // Another model's checkpoint may be larger than this one's: a bound of a few times this model's.
  const std::string bytes = read_bounded(path, 4 * size_bound(net));
  Reader r{bytes, path};
  read_header(bytes, path, r, "not a cnngen checkpoint (--init-from takes one)");
  InitReport report;
  report.source_model = r.get_string("model name");
  const uint32_t count = r.get<uint32_t>("parameter count");
  std::map<std::string, std::pair<size_t, uint64_t>> source;  // name -> (offset of the values, count)
  for (uint32_t i = 0; i < count; ++i) {
    std::string name = r.get_string("parameter name");
    const uint64_t n = r.get<uint64_t>("parameter size");
    if (r.left() / sizeof(float) < n) r.fail("truncated checkpoint (" + name + ")");
    source[std::move(name)] = {r.pos, n};
    r.pos += n * sizeof(float);
  }
  std::vector<Parameter>& params = net.parameters();
  const auto copies = [&](const Parameter& p) {
    const auto it = source.find(p.name);
    return (with_outputs || !net.graph().is_output(p.node)) && it != source.end() && it->second.second == p.value.size();
  };
  for (Parameter& p : params) {
    const auto it = source.find(p.name);
    if (!with_outputs && net.graph().is_output(p.node)) {
      report.not_copied.push_back(p.name + " (an output layer: initialised for this task)");
    } else if (it == source.end()) {
      report.not_copied.push_back(p.name + " (not in " + report.source_model + ")");
    } else if (it->second.second != p.value.size()) {
      report.not_copied.push_back(p.name + " (" + std::to_string(it->second.second) + " values there, " + std::to_string(p.value.size()) +
                                  " here)");
    } else {
      report.copied.push_back(p.name);
      report.copied_values += p.size();
    }
  }
  if (report.copied.empty())
    throw CheckpointError(path + ": no parameter of this " + report.source_model + " checkpoint matches " + std::string(net.graph().name) +
                          " by name and size: nothing to start from");
  for (Parameter& p : params)
    if (copies(p)) std::memcpy(p.value.data(), bytes.data() + source.at(p.name).first, p.value.size() * sizeof(float));
  return report;
}

}  // namespace cnngen
