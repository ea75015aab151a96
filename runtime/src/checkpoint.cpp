#include <cnngen/checkpoint.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace cnngen {

namespace {

constexpr char kMagic[8] = {'C', 'N', 'N', 'G', 'E', 'N', 'C', 'K'};
constexpr uint32_t kVersion = 1;

constexpr uint64_t kFnvBasis = 1469598103934665603ull;

uint64_t fnv1a(const char* p, size_t n, uint64_t h = kFnvBasis) {
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  return h;
}

void write_fully(int fd, const char* bytes, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, bytes + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw CheckpointError(path + ": write failed (" + std::strerror(errno) + ")");
    done += static_cast<size_t>(w);
  }
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

struct Reader {
  const std::string& bytes;
  const std::string& path;
  size_t pos = 0;
  void need(size_t n) {
    if (bytes.size() - pos < n) throw CheckpointError(path + ": truncated checkpoint");
  }
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string get_string() {
    const uint32_t n = get<uint32_t>();
    need(n);
    std::string s = bytes.substr(pos, n);
    pos += n;
    return s;
  }
  template <class Floats>
  void get_floats(Floats& out, const std::string& what) {
    const uint64_t n = get<uint64_t>();
    if (n != out.size())
      throw CheckpointError(path + ": " + what + " holds " + std::to_string(n) + " values, the model expects " +
                            std::to_string(out.size()));
    need(n * sizeof(float));
    std::memcpy(out.data(), bytes.data() + pos, n * sizeof(float));
    pos += n * sizeof(float);
  }
};

}  // namespace

void save_checkpoint(const std::string& path, const Network& net, const Optimizer* opt, const TrainingProgress& progress) {
  const std::string tmp = path + ".tmp";
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

TrainingProgress load_checkpoint(const std::string& path, Network& net, Optimizer* opt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": no such checkpoint");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw CheckpointError(path + ": not a cnngen checkpoint");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (stored != fnv1a(bytes.data(), bytes.size() - 8))
    throw CheckpointError(path + ": corrupt checkpoint (checksum mismatch)");

  Reader r{bytes, path, sizeof kMagic};
  if (const uint32_t v = r.get<uint32_t>(); v != kVersion)
    throw CheckpointError(path + ": checkpoint format version " + std::to_string(v) + ", this build reads " +
                          std::to_string(kVersion));
  const std::string model = r.get_string();
  if (model != net.graph().name)
    throw CheckpointError(path + ": checkpoint of model " + model + ", not " + std::string(net.graph().name));
  const uint32_t count = r.get<uint32_t>();
  if (count != net.parameters().size())
    throw CheckpointError(path + ": checkpoint has " + std::to_string(count) + " parameters, the model " +
                          std::to_string(net.parameters().size()));
  // Read everything into copies first: a bad checkpoint must leave the network as it was.
  std::vector<Parameter> params = net.parameters();
  for (Parameter& p : params) {
    const std::string name = r.get_string();
    if (name != p.name) throw CheckpointError(path + ": parameter " + name + " where the model has " + p.name);
    r.get_floats(p.value, p.name);
  }
  const std::string opt_name = r.get_string();
  const int64_t iterations = r.get<int64_t>();
  const double lr = r.get<double>();
  const uint32_t slots = r.get<uint32_t>();
  std::vector<std::vector<float>> slot_values;
  for (uint32_t i = 0; i < slots; ++i) {
    const uint64_t n = r.get<uint64_t>();
    r.need(n * sizeof(float));
    slot_values.emplace_back(n);
    std::memcpy(slot_values.back().data(), bytes.data() + r.pos, n * sizeof(float));
    r.pos += n * sizeof(float);
  }
  TrainingProgress progress{r.get<int32_t>()};
  if (opt && !opt_name.empty()) {
    if (opt_name != opt->name())
      throw CheckpointError(path + ": optimizer state of " + opt_name + ", the training uses " + opt->name());
    opt->iterations = iterations;
    opt->learning_rate = lr;
    opt->slots = std::move(slot_values);
  }
  for (size_t i = 0; i < params.size(); ++i) net.parameters()[i].value = std::move(params[i].value);
  return progress;
}

}  // namespace cnngen
