// The IDX files of MNIST-like data sets (Fashion-MNIST from Debian's dataset-fashion-mnist), read
// through zlib, which takes the packaged .gz files and plain ones alike. Every count and size in a
// header is checked before anything is allocated, and a short file is an error naming it.
#include <zlib.h>

#include <cnngen/data.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace cnngen {

namespace {

// No IDX set of images has more samples than this, nor larger images: a header claiming more is
// corrupt (or hostile), and is refused before it costs memory.
constexpr uint32_t kMaxSamples = 10'000'000, kMaxSide = 4096;

struct GzFile {
  std::string path;
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f{nullptr, gzclose};

  explicit GzFile(std::string p) : path(std::move(p)) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw DataError(path + ": no such file");
    f.reset(gzopen(path.c_str(), "rb"));
    if (!f) throw DataError(path + ": cannot open");
  }

  void read(void* dst, size_t bytes, const char* what) {
    auto* out = static_cast<unsigned char*>(dst);
    while (bytes > 0) {  // gzread takes at most INT_MAX bytes a call
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes, 1u << 30));
      const int got = gzread(f.get(), out, chunk);
      if (got <= 0) {
        int code = 0;
        const char* why = gzerror(f.get(), &code);
        throw DataError(path + ": truncated or corrupt while reading " + what +
                        (code != Z_OK && code != Z_STREAM_END ? std::string(" (") + why + ")" : ""));
      }
      out += got, bytes -= static_cast<size_t>(got);
    }
  }

  uint32_t big_endian(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
  }
};

// "<dir>/<prefix>-<kind>-ubyte.gz", or without .gz.
std::string idx_path(const std::string& dir, const std::string& prefix, const std::string& kind) {
  const fs::path base = fs::path(dir) / (prefix + "-" + kind + "-ubyte");
  std::error_code ec;
  return fs::exists(base.string() + ".gz", ec) || !fs::exists(base, ec) ? base.string() + ".gz" : base.string();
}

}  // namespace

Dataset load_idx(const std::string& dir, const std::string& prefix, int h, int w, int classes) {
  GzFile images(idx_path(dir, prefix, "images-idx3")), labels(idx_path(dir, prefix, "labels-idx1"));
  if (const uint32_t magic = images.big_endian("the header"); magic != 0x00000803)
    throw DataError(images.path + ": not an IDX file of uint8 images (magic " + std::to_string(magic) + ", expected 2051)");
  if (const uint32_t magic = labels.big_endian("the header"); magic != 0x00000801)
    throw DataError(labels.path + ": not an IDX file of uint8 labels (magic " + std::to_string(magic) + ", expected 2049)");
  const uint32_t n = images.big_endian("the sample count"), rows = images.big_endian("the row count"),
                 cols = images.big_endian("the column count"), n_labels = labels.big_endian("the label count");
  if (n == 0 || n > kMaxSamples) throw DataError(images.path + ": sample count " + std::to_string(n) + " out of range");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide)
    throw DataError(images.path + ": image size " + std::to_string(rows) + "x" + std::to_string(cols) + " out of range");
  if (n_labels != n)
    throw DataError(labels.path + ": " + std::to_string(n_labels) + " labels for " + std::to_string(n) + " images in " + images.path);
  if (rows > static_cast<uint32_t>(h) || cols > static_cast<uint32_t>(w))
    throw DataError(images.path + ": " + std::to_string(rows) + "x" + std::to_string(cols) + " images do not fit the model's " +
                    std::to_string(h) + "x" + std::to_string(w) + " input");

  std::vector<unsigned char> y(n);
  labels.read(y.data(), y.size(), "the labels");
  for (uint32_t i = 0; i < n; ++i)
    if (y[i] >= classes)
      throw DataError(labels.path + ": label " + std::to_string(y[i]) + " of sample " + std::to_string(i) +
                      " is out of range (0.." + std::to_string(classes - 1) + ")");
  Dataset d;
  d.n = static_cast<int>(n), d.h = h, d.w = w, d.c = 1;
  d.y.assign(y.begin(), y.end());
  // Read in chunks, the data set growing with what the file really holds: a header claiming ten
  // million samples over a short file costs no more memory than the file's samples.
  const int top = (h - static_cast<int>(rows)) / 2, left = (w - static_cast<int>(cols)) / 2;
  constexpr uint32_t kChunk = 4096;
  std::vector<unsigned char> pixels;
  for (uint32_t first = 0; first < n; first += kChunk) {
    const uint32_t count = std::min(kChunk, n - first);
    pixels.resize(size_t(count) * rows * cols);
    images.read(pixels.data(), pixels.size(), "the pixels");
    d.x.resize(size_t(first + count) * h * w, 0.0f);  // zero-padded to h x w, the image centred (28x28 -> 32x32)
    for (uint32_t i = 0; i < count; ++i)
      for (uint32_t r = 0; r < rows; ++r)
        for (uint32_t c = 0; c < cols; ++c)
          d.x[(size_t(first + i) * h + top + r) * w + left + c] = pixels[(size_t(i) * rows + r) * cols + c] / 255.0f;
  }
  d.sources.reserve(n);
  for (uint32_t i = 0; i < n; ++i) d.sources.push_back(images.path + "[" + std::to_string(i) + "]");
  return d;
}

}  // namespace cnngen
