// The course's HDF5 layout, read by libhdf5 in a child process. libhdf5 1.10 crashes on some
// malformed files (it copies into the NULL that malloc returned for a size the file claims) where no
// check before opening can help (benchmarks/RESULTS.md, Reliability): the trainer must survive any
// file a user hands it, so the child's death becomes that file's DataError.
#include <cnngen/data.hpp>

#include <fcntl.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "fd_io.hpp"

namespace cnngen {

namespace {

// No data set here has more samples: a header claiming more is refused before it costs memory.
constexpr hsize_t kMaxSamples = 10'000'000;
// A chunked dataset's unwritten chunks read as fill values: what the file stores must hold the
// pixels, compressed at most this many times, or a small file could claim gigabytes.
constexpr uint64_t kMaxCompression = 256;
constexpr uint32_t kMaxMessage = 4096;

// What the child reads: n samples of h*w*3 bytes and n labels, checked against the layout.
struct Contents {
  uint64_t n = 0;
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
};

struct H5Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H5Handle() {
    if (id >= 0) close(id);
  }
};

std::vector<hsize_t> dims_of(hid_t dataset) {
  H5Handle space{H5Dget_space(dataset), H5Sclose};
  std::vector<hsize_t> dims(std::max(0, H5Sget_simple_extent_ndims(space.id)));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  return dims;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + ")";
}

// Runs in the child only: every libhdf5 call of cnngen is here.
Contents read_in_this_process(const std::string& path, const std::string& prefix, int h, int w, int classes) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported here, not printed by HDF5
  if (H5Fis_hdf5(path.c_str()) <= 0) throw DataError(path + ": not an HDF5 file");
  H5Handle file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  if (file.id < 0) throw DataError(path + ": cannot open as HDF5");
  const auto open = [&](const std::string& name) {
    if (H5Lexists(file.id, name.c_str(), H5P_DEFAULT) <= 0)
      throw DataError(path + ": has no dataset '" + name + "' (the course's layout: " + prefix + "_x, " + prefix +
                      "_y, list_classes)");
    return H5Handle{H5Dopen2(file.id, name.c_str(), H5P_DEFAULT), H5Dclose};
  };
  H5Handle xs = open(prefix + "_x"), ys = open(prefix + "_y"), cls = open("list_classes");
  const auto xd = dims_of(xs.id), yd = dims_of(ys.id), cd = dims_of(cls.id);
  if (xd.size() != 4 || xd[1] != hsize_t(h) || xd[2] != hsize_t(w) || xd[3] != 3)
    throw DataError(path + ": " + prefix + "_x has shape " + shape_text(xd) + ", expected (N, " + std::to_string(h) +
                    ", " + std::to_string(w) + ", 3)");
  if (yd.size() != 1 || yd[0] != xd[0])
    throw DataError(path + ": " + prefix + "_y has shape " + shape_text(yd) + ", expected (" + std::to_string(xd[0]) + ")");
  if (cd.size() != 1 || cd[0] != hsize_t(classes))
    throw DataError(path + ": list_classes has shape " + shape_text(cd) + ", expected (" + std::to_string(classes) + ")");

  // The course's files hold uint8 pixels and integer labels: anything else would be silently cast,
  // and an integer type claiming gigabytes per value would size libhdf5's conversion buffer.
  const auto integers = [&](hid_t dataset, const std::string& name, size_t max_bytes, const char* what) {
    H5Handle type{H5Dget_type(dataset), H5Tclose};
    const size_t bytes = type.id < 0 ? 0 : H5Tget_size(type.id);
    if (H5Tget_class(type.id) != H5T_INTEGER || bytes == 0 || bytes > max_bytes)
      throw DataError(path + ": " + name + " holds " + what + " (the course's layout: uint8 pixels, integer labels)");
  };
  integers(xs.id, prefix + "_x", 1, "values other than 8-bit integers");
  integers(ys.id, prefix + "_y", sizeof(int64_t), "values other than integers of up to 64 bits");
  if (xd[0] == 0 || xd[0] > kMaxSamples)
    throw DataError(path + ": " + prefix + "_x holds " + std::to_string(xd[0]) + " samples (1.." + std::to_string(kMaxSamples) + ")");
  const uint64_t raw = xd[0] * uint64_t(h) * w * 3, stored = H5Dget_storage_size(xs.id);
  if (raw > stored * kMaxCompression)
    throw DataError(path + ": " + prefix + "_x claims " + std::to_string(raw) + " bytes of pixels but the file stores " +
                    std::to_string(stored));

  Contents c{.n = xd[0], .pixels = std::vector<uint8_t>(raw), .labels = std::vector<int64_t>(xd[0])};
  if (H5Dread(xs.id, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.pixels.data()) < 0 ||
      H5Dread(ys.id, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.labels.data()) < 0)
    throw DataError(path + ": cannot read " + prefix + "_x or " + prefix + "_y (corrupt file or not integer data)");
  return c;
}

// The whole of what the child sends, or false (an error, or the pipe ended first).
bool read_exactly(int fd, void* data, size_t size) { return read_all(fd, data, size) == ssize_t(size); }

// The child's report on the pipe: 'E', a length and a message; or 'D', n, the pixels, the labels.
[[noreturn]] void child_main(int out, const std::string& path, const std::string& prefix, int h, int w, int classes) {
  // Die of a crash as the signal says, never in the parent's handlers (CheckpointLock's would
  // remove the parent's lock file); a sanitizer's SEGV report would only repeat what the parent says.
  for (int s = 1; s < NSIG; ++s) std::signal(s, SIG_DFL);
  bool sent = false;
  try {
    const Contents c = read_in_this_process(path, prefix, h, w, classes);
    sent = write_all(out, "D", 1) && write_all(out, &c.n, sizeof c.n) &&
           write_all(out, c.pixels.data(), c.pixels.size()) &&
           write_all(out, c.labels.data(), c.labels.size() * sizeof(int64_t));
  } catch (const std::exception& e) {
    const std::string message = std::string(e.what()).substr(0, kMaxMessage);
    const auto size = static_cast<uint32_t>(message.size());
    sent = write_all(out, "E", 1) && write_all(out, &size, sizeof size) && write_all(out, message.data(), size);
  }
  ::_exit(sent ? 0 : 1);  // no atexit handlers, stdio flushes or leak checks of the parent's state
}

// Owns the child until it is reaped; a parent leaving early (an exception) kills it first.
class Child {
 public:
  Child(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (fd_ >= 0) ::close(fd_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  int fd() const { return fd_; }
  // Closes the pipe, reaps the child and says how it ended ("" for a clean exit).
  std::string finish() {
    ::close(fd_);
    fd_ = -1;
    const int status = wait();
    pid_ = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFSIGNALED(status))
      return "the HDF5 library crashed reading it (signal " + std::to_string(WTERMSIG(status)) + ", " +
             strsignal(WTERMSIG(status)) + "): the file is malformed";
    return "the HDF5 reader process failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
  }

 private:
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }
  pid_t pid_;
  int fd_;
};

}  // namespace

Dataset load_h5(const std::string& path, const std::string& prefix, int h, int w, int classes) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DataError(path + ": no such file");
  // A FIFO would block the reader, a folder is not a data set.
  if (!std::filesystem::is_regular_file(path, ec)) throw DataError(path + ": is not a regular file");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw DataError(path + ": cannot start the HDF5 reader: " + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], path, prefix, h, w, classes);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    throw DataError(path + ": cannot start the HDF5 reader: " + std::strerror(errno));
  }
  Child child(pid, fds[0]);

  // Only what the layout allows is read, whatever the child sends.
  const uint64_t sample = uint64_t(h) * w * 3;
  char tag = 0;
  std::string message;
  Contents c;
  bool complete = read_exactly(child.fd(), &tag, 1);
  if (complete && tag == 'E') {
    uint32_t size = 0;
    complete = read_exactly(child.fd(), &size, sizeof size) && size <= kMaxMessage;
    if (complete) {
      message.resize(size);
      complete = read_exactly(child.fd(), message.data(), size);
    }
  } else if (complete && tag == 'D') {
    complete = read_exactly(child.fd(), &c.n, sizeof c.n) && c.n >= 1 && c.n <= kMaxSamples;
    if (complete) {
      c.pixels.resize(c.n * sample);
      c.labels.resize(c.n);
      complete = read_exactly(child.fd(), c.pixels.data(), c.pixels.size()) &&
                 read_exactly(child.fd(), c.labels.data(), c.labels.size() * sizeof(int64_t));
    }
  } else {
    complete = false;
  }
  char extra;
  complete = complete && !read_exactly(child.fd(), &extra, 1);
  const std::string death = child.finish();
  if (!death.empty()) throw DataError(path + ": " + death);
  if (!complete) throw DataError(path + ": the HDF5 reader sent an incomplete report");
  if (tag == 'E') throw DataError(message);

  Dataset d{.n = static_cast<int>(c.n), .h = h, .w = w, .c = 3};
  d.x.assign(c.pixels.begin(), c.pixels.end());
  for (float& v : d.x) v /= 255.0f;
  for (int i = 0; i < d.n; ++i) {
    if (c.labels[i] < 0 || c.labels[i] >= classes)
      throw DataError(path + ": " + prefix + "_y[" + std::to_string(i) + "] = " + std::to_string(c.labels[i]) +
                      " is out of range (0.." + std::to_string(classes - 1) + ")");
    d.y.push_back(static_cast<int>(c.labels[i]));
    d.sources.push_back(path + "[" + std::to_string(i) + "]");
  }
  return d;
}

}  // namespace cnngen
