#include <cnngen/data.hpp>

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>

namespace fs = std::filesystem;

namespace cnngen {

namespace {

// libjpeg reports errors through error_exit and recoverable corruption (a truncated file, bad
// Huffman data) through warnings, after which it pads the image with grey: both must fail here.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_warn(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_fail(cinfo);  // a warning: corrupt data
}

// Pillow's limit (MAX_IMAGE_PIXELS): no real photograph has more pixels, and a file's header is
// checked against it before anything is decoded, so that a small file claiming 60000x60000 (a
// decompression bomb) is refused instead of costing gigabytes.
constexpr uint64_t kMaxImagePixels = 89'478'485;

void check_pixels(const std::string& path, uint64_t w, uint64_t h) {
  if (w * h > kMaxImagePixels)
    throw DataError(path + ": claims " + std::to_string(w) + "x" + std::to_string(h) + " pixels, more than the " +
                    std::to_string(kMaxImagePixels) + " an image may have here");
}

// Adobe's CMYK JPEGs store the inks inverted (what Photoshop writes): red = C K / 255 and so on.
void cmyk_row_to_rgb(const unsigned char* cmyk, unsigned char* rgb, int w) {
  for (int x = 0; x < w; ++x, cmyk += 4, rgb += 3)
    for (int c = 0; c < 3; ++c) rgb[c] = static_cast<unsigned char>((cmyk[c] * cmyk[3] + 127) / 255);
}

enum class JpegStatus { decoded, failed, too_large };

// Decodes into img, which the caller owns: libjpeg's errors longjmp back to the setjmp here, so this
// frame holds nothing with a destructor (a row buffer it held leaked on every corrupt CMYK file,
// found by fuzz/) and nothing it changes lives in it. The CMYK row comes from libjpeg's own pool,
// freed by jpeg_destroy_decompress.
JpegStatus decode_jpeg(std::FILE* f, jpeg_decompress_struct& cinfo, JpegError& err, Image& img) {
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_warn;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return JpegStatus::failed;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, f);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.image_width * uint64_t{cinfo.image_height} > kMaxImagePixels) {
    jpeg_destroy_decompress(&cinfo);
    return JpegStatus::too_large;
  }
  // libjpeg converts grey and YCbCr to RGB, not CMYK: that is decoded as CMYK and converted here.
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  img.h = static_cast<int>(cinfo.output_height), img.w = static_cast<int>(cinfo.output_width);
  img.rgb.resize(size_t(img.h) * img.w * 3);
  JSAMPARRAY ink = cmyk ? (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                                      cinfo.output_width * 4, 1)
                        : nullptr;
  while (cinfo.output_scanline < cinfo.output_height) {
    unsigned char* out = img.rgb.data() + size_t(cinfo.output_scanline) * img.w * 3;
    JSAMPROW row = cmyk ? ink[0] : out;
    jpeg_read_scanlines(&cinfo, &row, 1);
    if (cmyk) cmyk_row_to_rgb(ink[0], out, img.w);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return JpegStatus::decoded;
}

Image read_jpeg(const std::string& path, std::FILE* f) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  Image img;
  switch (decode_jpeg(f, cinfo, err, img)) {
    case JpegStatus::decoded:
      return img;
    case JpegStatus::too_large:
      check_pixels(path, cinfo.image_width, cinfo.image_height);
      break;
    case JpegStatus::failed:
      break;
  }
  throw DataError(path + ": corrupt or truncated JPEG (" + err.message + ")");
}

Image read_png(const std::string& path) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str())) throw DataError(path + ": unreadable PNG (" + png.message + ")");
  if (uint64_t{png.width} * png.height > kMaxImagePixels) {
    png_image_free(&png);
    check_pixels(path, png.width, png.height);
  }
  png.format = PNG_FORMAT_RGB;
  Image img;
  img.h = static_cast<int>(png.height), img.w = static_cast<int>(png.width);
  img.rgb.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, img.rgb.data(), 0, nullptr)) {
    const std::string why = png.message;
    png_image_free(&png);
    throw DataError(path + ": corrupt or truncated PNG (" + why + ")");
  }
  return img;
}

}  // namespace

Image read_image(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw DataError(path + ": is a folder, not an image");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw DataError(path + ": cannot open (" + std::strerror(errno) + ")");
  unsigned char sig[8] = {};
  const size_t got = std::fread(sig, 1, sizeof sig, f.get());
  std::rewind(f.get());
  if (got >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF) return read_jpeg(path, f.get());
  if (got == 8 && png_sig_cmp(sig, 0, 8) == 0) return read_png(path);
  throw DataError(path + ": not a JPEG or PNG image" + (got == 0 ? " (empty file)" : ""));
}

std::vector<float> to_input(const Image& img, int h, int w) {
  std::vector<float> out(size_t(h) * w * 3);
  for (int y = 0; y < h; ++y) {
    const int sy = std::min(img.h - 1, int(int64_t(y) * img.h / h));
    for (int x = 0; x < w; ++x) {
      const int sx = std::min(img.w - 1, int(int64_t(x) * img.w / w));
      for (int c = 0; c < 3; ++c) out[(size_t(y) * w + x) * 3 + c] = img.rgb[(size_t(sy) * img.w + sx) * 3 + c] / 255.0f;
    }
  }
  return out;
}

Dataset load_image_folder(const std::string& dir, int h, int w, int classes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw DataError(dir + ": no such folder");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().front() != '.') files.push_back(e.path());
  if (ec) throw DataError(dir + ": cannot list (" + ec.message() + ")");
  std::sort(files.begin(), files.end());
  if (files.empty()) throw DataError(dir + ": no images (expected files named {label}_IMG_{id}.jpg)");

  Dataset d{.n = static_cast<int>(files.size()), .h = h, .w = w, .c = 3};
  d.x.reserve(size_t(d.n) * d.sample_size());
  for (const fs::path& p : files) {
    const std::string name = p.filename().string(), path = p.string();
    const size_t us = name.find('_');
    int label = -1;
    if (us != std::string::npos && us > 0 && us < 4 && std::all_of(name.begin(), name.begin() + us, ::isdigit))
      label = std::stoi(name.substr(0, us));
    if (us == std::string::npos || label < 0)
      throw DataError(path + ": name does not start with a label ({label}_IMG_{id}.jpg)");
    if (label >= classes)
      throw DataError(path + ": label " + std::to_string(label) + " is out of range (0.." + std::to_string(classes - 1) + ")");
    const Image img = read_image(path);
    if (img.h != h || img.w != w)
      throw DataError(path + ": image is " + std::to_string(img.w) + "x" + std::to_string(img.h) + ", expected " +
                      std::to_string(w) + "x" + std::to_string(h));
    for (uint8_t v : img.rgb) d.x.push_back(v / 255.0f);
    d.y.push_back(label);
    d.sources.push_back(path);
  }
  return d;
}

Dataset select_classes(const Dataset& d, const std::vector<std::pair<int, int>>& relabel) {
  Dataset out{.n = 0, .h = d.h, .w = d.w, .c = d.c};
  for (int i = 0; i < d.n; ++i) {
    for (const auto& [from, to] : relabel) {
      if (d.y[i] != from) continue;
      out.x.insert(out.x.end(), d.sample(i), d.sample(i) + d.sample_size());
      out.y.push_back(to);
      out.sources.push_back(d.sources[i]);
      ++out.n;
    }
  }
  return out;
}

Dataset per_class(const Dataset& d, int n, int classes, uint64_t seed, const std::string& where) {
  std::vector<std::vector<int>> of(classes);
  for (int i = 0; i < d.n; ++i)
    if (d.y[i] >= 0 && d.y[i] < classes) of[d.y[i]].push_back(i);
  std::vector<char> keep(d.n, 0);
  for (int c = 0; c < classes; ++c) {
    std::vector<int>& members = of[c];
    if (static_cast<int>(members.size()) < n)
      throw DataError(where + ": class " + std::to_string(c) + " has " + std::to_string(members.size()) + " samples, fewer than --per-class " +
                      std::to_string(n));
    std::mt19937_64 rng(seed * 1000003ull + static_cast<uint64_t>(c));
    for (int i = static_cast<int>(members.size()) - 1; i > 0; --i) std::swap(members[i], members[static_cast<int>(rng() % (i + 1))]);
    for (int k = 0; k < n; ++k) keep[members[k]] = 1;
  }
  Dataset out{.n = 0, .h = d.h, .w = d.w, .c = d.c};
  for (int i = 0; i < d.n; ++i) {
    if (!keep[i]) continue;
    out.x.insert(out.x.end(), d.sample(i), d.sample(i) + d.sample_size());
    out.y.push_back(d.y[i]);
    if (i < static_cast<int>(d.sources.size())) out.sources.push_back(d.sources[i]);
    ++out.n;
  }
  return out;
}

}  // namespace cnngen
