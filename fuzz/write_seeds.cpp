// Writes the seed corpus of each fuzz target (fuzz/corpus/<target>/): small valid inputs a fuzzer
// mutates from. Run once when a reader's format changes, and commit what it writes:
//   build/bin/cnngen_fuzz_seeds fuzz/corpus
#include <hdf5.h>
#include <jpeglib.h>
#include <png.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <cnngen/checkpoint.hpp>
#include <cnngen/model.hpp>
#include <fuzz_model.hpp>

#include "model.hpp"

namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Named without .ckpt, which .gitignore keeps out of the repository (users' checkpoints).
void checkpoints(const fs::path& dir) {
  cnngen::Model m(fuzz_model::model, cnngen::generated::fuzz_model());
  m.network().initialize(1);
  m.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  cnngen::save_checkpoint((dir / "before_any_step").string(), m.network(), m.optimizer(), {0});
  std::vector<float> x(4 * 6 * 6 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i));
  const std::vector<int> y{0, 1, 2, 5};
  m.train_on_batch(x.data(), y, 4);
  m.train_on_batch(x.data(), y, 4);
  cnngen::save_checkpoint((dir / "adam_after_two_steps").string(), m.network(), m.optimizer(), {2});
  cnngen::save_checkpoint((dir / "weights_only").string(), m.network(), nullptr, {2});
}

void jpeg(const fs::path& path, int w, int h, int components, J_COLOR_SPACE space) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_stdio_dest(&c, f);
  c.image_width = w, c.image_height = h, c.input_components = components, c.in_color_space = space;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 90, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<JSAMPLE> row(size_t(w) * components);
  while (c.next_scanline < c.image_height) {
    for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<JSAMPLE>((i * 37 + c.next_scanline * 11) % 256);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

void png(const fs::path& path, int w, int h, png_uint_32 format) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION, img.width = w, img.height = h, img.format = format;
  std::vector<uint8_t> px(PNG_IMAGE_SIZE(img));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 13 % 256);
  png_image_write_to_file(&img, path.c_str(), 0, px.data(), 0, nullptr);
}

void images(const fs::path& dir) {
  jpeg(dir / "rgb.jpg", 7, 5, 3, JCS_RGB);
  jpeg(dir / "grey.jpg", 6, 6, 1, JCS_GRAYSCALE);
  jpeg(dir / "cmyk.jpg", 4, 4, 4, JCS_CMYK);
  png(dir / "rgb.png", 7, 5, PNG_FORMAT_RGB);
  png(dir / "grey_alpha.png", 3, 4, PNG_FORMAT_GA);
  png(dir / "rgba.png", 5, 5, PNG_FORMAT_RGBA);
}

void hdf5(const fs::path& path) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const auto put = [&](const char* name, hid_t type, std::vector<hsize_t> dims, const void* data) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(space);
  };
  std::vector<uint8_t> x(3 * 6 * 6 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i);
  const std::vector<long long> y{0, 3, 5}, classes{0, 1, 2, 3, 4, 5};
  put("test_set_x", H5T_NATIVE_UINT8, {3, 6, 6, 3}, x.data());
  put("test_set_y", H5T_NATIVE_LLONG, {3}, y.data());
  put("list_classes", H5T_NATIVE_LLONG, {6}, classes.data());
  H5Fclose(f);
}

void idx(const fs::path& path) {
  std::string images, labels;
  const auto be = [](std::string& s, uint32_t v) {
    for (int shift : {24, 16, 8, 0}) s.push_back(static_cast<char>(v >> shift));
  };
  be(images, 0x803), be(images, 2), be(images, 4), be(images, 5);
  for (int i = 0; i < 2 * 4 * 5; ++i) images.push_back(static_cast<char>(i * 9));
  be(labels, 0x801), be(labels, 2);
  labels += std::string{char(3), char(9)};
  const uint32_t first = static_cast<uint32_t>(images.size());
  write_bytes(path, std::string(reinterpret_cast<const char*>(&first), 4) + images + labels);
}

// The arguments of a command line, NUL-separated as the command_line target splits them.
std::string joined(std::initializer_list<std::string> args) {
  std::string s;
  for (const std::string& a : args) s += (s.empty() ? "" : std::string(1, '\0')) + a;
  return s;
}

void command_lines(const fs::path& dir) {
  const std::vector<std::string> lines = {
      joined({"summary"}),
      joined({"train", "--epochs", "3", "--batch-size", "16"}),
      joined({"train", "--resume", "--lr", "0.01", "--lr-schedule", "cosine", "--augment", "on", "--seed", "7"}),
      joined({"evaluate", "--data", "test.h5", "--threads", "2"}),
      joined({"predict", "a.jpg", "b.png", "--checkpoint", "m.ckpt"}),
  };
  for (size_t i = 0; i < lines.size(); ++i) write_bytes(dir / ("line_" + std::to_string(i)), lines[i]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cnngen_fuzz_seeds CORPUS_DIR\n";
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* t : {"checkpoint", "image", "hdf5", "idx", "command_line"}) fs::create_directories(root / t);
  checkpoints(root / "checkpoint");
  images(root / "image");
  hdf5(root / "hdf5" / "course_layout.h5");
  idx(root / "idx" / "pair");
  command_lines(root / "command_line");
  std::cout << "seeds written to " << root << "\n";
  return 0;
}
