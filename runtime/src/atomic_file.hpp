// Replaces a file whole or not at all: the bytes go to PATH.tmp beside it, are synced, and renamed
// over PATH, so that a failure or a kill leaves the file as it was (plot's pictures; the checkpoint
// writer streams its bytes through the same steps itself).
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fd_io.hpp"

namespace cnngen {

// Throws E(message naming the path) on any failure, having removed the temporary file.
template <class E>
void replace_file(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw E(path + ": cannot be written (" + std::strerror(errno) + ")");
  const bool written = write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
  const std::string why = written ? "" : std::strerror(errno);
  ::close(fd);
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = written ? std::strerror(errno) : why;
    ::unlink(tmp.c_str());
    throw E(path + ": cannot be written (" + reason + ")");
  }
}

}  // namespace cnngen
