// Data loading: valid folders and HDF5 files load exactly; every kind of bad input is a DataError
// naming the file and what is wrong. Fixtures are written by the test itself (libjpeg, libpng, HDF5).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <jpeglib.h>
#include <png.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <cnngen/cli.hpp>
#include <cnngen/data.hpp>

namespace fs = std::filesystem;
using cnngen::DataError;

namespace {

class Fixture : public testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cnngen_data_" + std::to_string(::getpid()) + "_" +
                                       testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
};

std::vector<uint8_t> gradient_pixels(int w, int h) {
  std::vector<uint8_t> px(size_t(w) * h * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 7) % 256);
  return px;
}

void write_jpeg(const std::string& path, int w, int h) {
  const std::vector<uint8_t> px = gradient_pixels(w, h);
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_stdio_dest(&c, f);
  c.image_width = w, c.image_height = h, c.input_components = 3, c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(px.data()) + size_t(c.next_scanline) * w * 3;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

void write_png(const std::string& path, int w, int h) {
  const std::vector<uint8_t> px = gradient_pixels(w, h);
  png_image img{};
  img.version = PNG_IMAGE_VERSION, img.width = w, img.height = h, img.format = PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&img, path.c_str(), 0, px.data(), 0, nullptr));
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

template <class F>
void expect_data_error(F&& f, const std::string& says) {
  try {
    f();
    FAIL() << "expected a DataError saying: " << says;
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << "the error says: " << e.what();
  }
}

TEST_F(Fixture, LoadsAFolderOfJpegAndPngSortedWithLabels) {
  write_jpeg(path("3_IMG_2.jpg"), 64, 64);
  write_png(path("0_IMG_9.png"), 64, 64);
  write_jpeg(path("5_IMG_1.jpg"), 64, 64);
  write_bytes(path(".DS_Store"), "ignored");
  const cnngen::Dataset d = cnngen::load_image_folder(dir.string(), 64, 64, 6);
  ASSERT_EQ(d.n, 3);
  EXPECT_EQ(d.y, (std::vector<int>{0, 3, 5}));
  const std::vector<uint8_t> px = gradient_pixels(64, 64);  // PNG is lossless: exact after 1/255
  for (size_t i = 0; i < px.size(); ++i) ASSERT_FLOAT_EQ(d.x[i], px[i] / 255.0f) << i;
}

TEST_F(Fixture, MissingFolder) {
  expect_data_error([&] { cnngen::load_image_folder(path("nope"), 64, 64, 6); }, path("nope") + ": no such folder");
}

TEST_F(Fixture, EmptyFolder) {
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, "no images");
}

TEST_F(Fixture, CorruptJpeg) {
  std::string bytes = "\xFF\xD8\xFF\xE0";
  bytes += std::string(400, '\x17');
  write_bytes(path("1_IMG_1.jpg"), bytes);
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, path("1_IMG_1.jpg") + ": corrupt or truncated JPEG");
}

TEST_F(Fixture, TruncatedJpeg) {
  write_jpeg(path("full.jpg"), 64, 64);
  const std::string bytes = read_bytes(path("full.jpg"));
  fs::remove(path("full.jpg"));
  write_bytes(path("2_IMG_1.jpg"), bytes.substr(0, bytes.size() / 2));
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, path("2_IMG_1.jpg") + ": corrupt or truncated JPEG");
}

TEST_F(Fixture, TruncatedPng) {
  write_png(path("full.png"), 64, 64);
  const std::string bytes = read_bytes(path("full.png"));
  fs::remove(path("full.png"));
  write_bytes(path("2_IMG_1.png"), bytes.substr(0, bytes.size() / 2));
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, path("2_IMG_1.png") + ": corrupt or truncated PNG");
}

TEST_F(Fixture, WrongSizeImage) {
  write_jpeg(path("4_IMG_1.jpg"), 32, 48);
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, "image is 32x48, expected 64x64");
}

TEST_F(Fixture, LabelOutOfRange) {
  write_jpeg(path("7_IMG_1.jpg"), 64, 64);
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, path("7_IMG_1.jpg") + ": label 7 is out of range (0..5)");
}

TEST_F(Fixture, NameWithoutLabel) {
  write_jpeg(path("cat.jpg"), 64, 64);
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, "name does not start with a label");
}

TEST_F(Fixture, NotAnImage) {
  write_bytes(path("0_IMG_1.jpg"), "hello, not a picture");
  expect_data_error([&] { cnngen::load_image_folder(dir.string(), 64, 64, 6); }, ": not a JPEG or PNG image");
  write_bytes(path("0_IMG_1.jpg"), "");
  expect_data_error([&] { cnngen::read_image(path("0_IMG_1.jpg")); }, "(empty file)");
}

// A valid file's header made to claim w x h pixels, with the checksums a decoder checks kept right.
std::string claim_size(std::string bytes, uint32_t w, uint32_t h) {
  const auto be16 = [&](size_t at, uint32_t v) { bytes[at] = char(v >> 8), bytes[at + 1] = char(v); };
  if (bytes.compare(1, 3, "PNG") == 0) {
    for (int i = 0; i < 4; ++i) bytes[16 + i] = char(w >> (24 - 8 * i)), bytes[20 + i] = char(h >> (24 - 8 * i));
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(bytes.data() + 12), 17);  // "IHDR" and its 13 bytes
    for (int i = 0; i < 4; ++i) bytes[29 + i] = char(crc >> (24 - 8 * i));
    return bytes;
  }
  const size_t sof = bytes.find("\xFF\xC0");  // baseline frame header: length, precision, height, width
  be16(sof + 5, h), be16(sof + 7, w);
  return bytes;
}

TEST_F(Fixture, ImagesClaimingTooManyPixelsAreRefusedBeforeDecoding) {
  write_jpeg(path("small.jpg"), 8, 8);
  write_bytes(path("bomb.jpg"), claim_size(read_bytes(path("small.jpg")), 60000, 60000));
  expect_data_error([&] { cnngen::read_image(path("bomb.jpg")); },
                    "bomb.jpg: claims 60000x60000 pixels, more than the 89478485 an image may have here");
  write_png(path("small.png"), 8, 8);
  write_bytes(path("bomb.png"), claim_size(read_bytes(path("small.png")), 50000, 50000));
  expect_data_error([&] { cnngen::read_image(path("bomb.png")); }, "bomb.png: claims 50000x50000 pixels");
}

TEST_F(Fixture, CmykJpegIsConvertedToRgb) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  FILE* f = std::fopen(path("cmyk.jpg").c_str(), "wb");
  jpeg_stdio_dest(&c, f);
  c.image_width = 16, c.image_height = 16, c.input_components = 4, c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(16 * 4);
  for (int x = 0; x < 16; ++x) row[x * 4] = 255, row[x * 4 + 1] = 128, row[x * 4 + 2] = 0, row[x * 4 + 3] = 255;
  while (c.next_scanline < c.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
  const cnngen::Image img = cnngen::read_image(path("cmyk.jpg"));
  ASSERT_EQ(img.w, 16);
  // Adobe's inverted inks: (C, M, Y, K) = (255, 128, 0, 255) is red 255, green 128, blue 0.
  EXPECT_NEAR(img.rgb[0], 255, 3);
  EXPECT_NEAR(img.rgb[1], 128, 3);
  EXPECT_NEAR(img.rgb[2], 0, 3);
}

TEST_F(Fixture, AFolderIsNotAnImage) {
  fs::create_directory(path("photo.jpg"));
  expect_data_error([&] { cnngen::read_image(path("photo.jpg")); }, "photo.jpg: is a folder, not an image");
}

TEST_F(Fixture, ResizesNearestAsKerasLoadImg) {
  write_png(path("big.png"), 128, 96);
  const cnngen::Image img = cnngen::read_image(path("big.png"));
  const std::vector<float> x = cnngen::to_input(img, 64, 64);
  // Output pixel (y, x) samples source (y * 96 / 64, x * 128 / 64).
  for (int y : {0, 17, 63})
    for (int xx : {0, 30, 63})
      for (int c = 0; c < 3; ++c)
        EXPECT_FLOAT_EQ(x[(size_t(y) * 64 + xx) * 3 + c], img.rgb[(size_t(y * 96 / 64) * 128 + xx * 2) * 3 + c] / 255.0f);
}

// The course's layout, with what to leave out or change.
void write_h5(const std::string& path, int n, bool with_x, bool with_classes, int height, long long bad_label,
              hid_t pixel_type = H5T_NATIVE_UINT8) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const auto put = [&](const char* name, hid_t type, std::vector<hsize_t> dims, const void* data) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(space);
  };
  std::vector<uint8_t> x(size_t(n) * height * 64 * 3, 51);
  std::vector<long long> y(n);
  for (int i = 0; i < n; ++i) y[i] = i % 6;
  if (bad_label >= 0) y[n - 1] = bad_label;
  std::vector<long long> classes{0, 1, 2, 3, 4, 5};
  std::vector<float> x_float(x.begin(), x.end());
  if (with_x)
    put("test_set_x", pixel_type, {hsize_t(n), hsize_t(height), 64, 3},
        pixel_type == H5T_NATIVE_FLOAT ? static_cast<const void*>(x_float.data()) : x.data());
  put("test_set_y", H5T_NATIVE_LLONG, {hsize_t(n)}, y.data());
  if (with_classes) put("list_classes", H5T_NATIVE_LLONG, {6}, classes.data());
  H5Fclose(f);
}

TEST_F(Fixture, LoadsTheCoursesHdf5Layout) {
  write_h5(path("t.h5"), 7, true, true, 64, -1);
  const cnngen::Dataset d = cnngen::load_h5(path("t.h5"), "test_set", 64, 64, 6);
  ASSERT_EQ(d.n, 7);
  EXPECT_EQ(d.y, (std::vector<int>{0, 1, 2, 3, 4, 5, 0}));
  EXPECT_FLOAT_EQ(d.x[123], 51 / 255.0f);
}

TEST_F(Fixture, Hdf5Errors) {
  expect_data_error([&] { cnngen::load_h5(path("none.h5"), "test_set", 64, 64, 6); }, "none.h5: no such file");
  expect_data_error([&] { cnngen::load_h5(dir.string(), "test_set", 64, 64, 6); }, ": is not a regular file");
  write_bytes(path("text.h5"), "not hdf5 at all");
  expect_data_error([&] { cnngen::load_h5(path("text.h5"), "test_set", 64, 64, 6); }, "text.h5: not an HDF5 file");
  write_h5(path("nox.h5"), 3, false, true, 64, -1);
  expect_data_error([&] { cnngen::load_h5(path("nox.h5"), "test_set", 64, 64, 6); }, "nox.h5: has no dataset 'test_set_x'");
  write_h5(path("noclasses.h5"), 3, true, false, 64, -1);
  expect_data_error([&] { cnngen::load_h5(path("noclasses.h5"), "test_set", 64, 64, 6); }, "has no dataset 'list_classes'");
  write_h5(path("small.h5"), 3, true, true, 32, -1);
  expect_data_error([&] { cnngen::load_h5(path("small.h5"), "test_set", 64, 64, 6); },
                    "test_set_x has shape (3, 32, 64, 3), expected (N, 64, 64, 3)");
  write_h5(path("label.h5"), 3, true, true, 64, 9);
  expect_data_error([&] { cnngen::load_h5(path("label.h5"), "test_set", 64, 64, 6); }, "test_set_y[2] = 9 is out of range (0..5)");
  expect_data_error([&] { cnngen::load_h5(path("label.h5"), "train_set", 64, 64, 6); }, "has no dataset 'train_set_x'");
  write_h5(path("float.h5"), 3, true, true, 64, -1, H5T_NATIVE_FLOAT);
  expect_data_error([&] { cnngen::load_h5(path("float.h5"), "test_set", 64, 64, 6); },
                    "float.h5: test_set_x holds values other than 8-bit integers (the course's layout: uint8 pixels");
}

// libhdf5 1.10.8 copies into the NULL malloc returns for a local heap this file claims: no check
// before opening can see it, so the file is read in a child process whose death is the file's error.
TEST(Hdf5, AFileThatCrashesLibhdf5IsThatFilesError) {
  const std::string file = CNNGEN_FUZZ_DIR "/regressions/hdf5/libhdf5_null_deref_reading_a_claimed_local_heap";
  expect_data_error([&] { cnngen::load_h5(file, "test_set", 6, 6, 6); },
                    file + ": the HDF5 library crashed reading it (signal 11, Segmentation fault): the file is malformed");
}

// A label type claiming 4 GB per value (found by the fuzzer) would size libhdf5's conversion buffer.
TEST(Hdf5, ALabelTypeOfGigabytesIsRefusedBeforeReading) {
  const std::string file = CNNGEN_FUZZ_DIR "/regressions/hdf5/label_type_claims_4_gb_per_value";
  expect_data_error([&] { cnngen::load_h5(file, "test_set", 6, 6, 6); },
                    file + ": test_set_y holds values other than integers of up to 64 bits");
}

// The reader's child process leaves nothing behind: each load reaps it.
TEST_F(Fixture, Hdf5ReaderLeavesNoChildProcess) {
  write_h5(path("ok.h5"), 3, true, true, 64, -1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cnngen::load_h5(path("ok.h5"), "test_set", 64, 64, 6).n, 3);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// A chunked dataset that claims ten thousand images and stores none: its unwritten chunks would
// read as fill values, gigabytes from a file of kilobytes.
TEST_F(Fixture, Hdf5ClaimingMoreThanItStoresIsRefused) {
  hid_t f = H5Fcreate(path("hollow.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const auto make = [&](const char* name, hid_t type, std::vector<hsize_t> dims, bool chunked) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t props = H5Pcreate(H5P_DATASET_CREATE);
    std::vector<hsize_t> chunk(dims.size(), 1);
    if (chunked) H5Pset_chunk(props, static_cast<int>(chunk.size()), chunk.data());
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, props, H5P_DEFAULT);
    H5Dclose(d), H5Pclose(props), H5Sclose(space);
  };
  make("test_set_x", H5T_NATIVE_UINT8, {10000, 64, 64, 3}, true);
  make("test_set_y", H5T_NATIVE_LLONG, {10000}, false);
  make("list_classes", H5T_NATIVE_LLONG, {6}, false);
  H5Fclose(f);
  expect_data_error([&] { cnngen::load_h5(path("hollow.h5"), "test_set", 64, 64, 6); },
                    "hollow.h5: test_set_x claims 122880000 bytes of pixels but the file stores 0");
}

// The real SIGNS data beside the repository: the course's split and the two layouts agree.
TEST(SignsData, FolderAndHdf5AgreeOnTheTestSet) {
  const std::string root = CNNGEN_SIGNS_DIR;
  const std::string h5 = (fs::path(root).parent_path() / "signs-h5" / "test_signs.h5").string();
  if (!fs::exists(root) || !fs::exists(h5)) GTEST_SKIP() << "SIGNS not found at " << root;
  const cnngen::Dataset folder = cnngen::load_image_folder((fs::path(root) / "test").string(), 64, 64, 6);
  const cnngen::Dataset file = cnngen::load_h5(h5, "test_set", 64, 64, 6);
  EXPECT_EQ(folder.n, 120);
  EXPECT_EQ(file.n, 120);
  std::vector<int> a(6), b(6);
  for (int y : folder.y) ++a[y];
  for (int y : file.y) ++b[y];
  EXPECT_EQ(a, b);
  EXPECT_EQ(cnngen::load_image_folder((fs::path(root) / "train").string(), 64, 64, 6).n, 1080);
}

}  // namespace

namespace {

// An IDX pair in dir: `n` images of rows x cols (pixel i of image k = (k + i) % 256) and labels
// k % 10; gz or plain; the header fields given may lie.
struct Idx {
  uint32_t image_magic = 0x803, label_magic = 0x801, n = 3, rows = 4, cols = 5, n_labels = 3;
  size_t drop_bytes = 0;  // cut from the end of the images file
  uint8_t label_offset = 0;
  void write(const fs::path& dir, bool gz) const {
    std::string images, labels;
    const auto be = [](std::string& s, uint32_t v) {
      for (int shift : {24, 16, 8, 0}) s.push_back(static_cast<char>(v >> shift));
    };
    be(images, image_magic), be(images, n), be(images, rows), be(images, cols);
    for (uint32_t k = 0; k < 3; ++k)
      for (uint32_t i = 0; i < 4 * 5; ++i) images.push_back(static_cast<char>((k + i) % 256));
    images.resize(images.size() - drop_bytes);
    be(labels, label_magic), be(labels, n_labels);
    for (uint32_t k = 0; k < 3; ++k) labels.push_back(static_cast<char>(k % 10 + label_offset));
    for (const auto& [name, bytes] : {std::pair{"train-images-idx3-ubyte", images}, {"train-labels-idx1-ubyte", labels}}) {
      const std::string p = (dir / name).string() + (gz ? ".gz" : "");
      if (gz) {
        gzFile f = gzopen(p.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
      } else {
        std::ofstream(p, std::ios::binary) << bytes;
      }
    }
  }
};

}  // namespace

TEST_F(Fixture, IdxLoadsCentredAndScaledFromGzOrPlainFiles) {
  for (bool gz : {true, false}) {
    fs::remove_all(dir), fs::create_directories(dir);
    Idx{}.write(dir, gz);
    const cnngen::Dataset d = cnngen::load_idx(dir.string(), "train", 8, 9, 10);
    ASSERT_EQ(d.n, 3);
    EXPECT_EQ(d.h, 8);
    EXPECT_EQ(d.w, 9);
    EXPECT_EQ(d.c, 1);
    EXPECT_EQ(d.y, (std::vector<int>{0, 1, 2}));
    // Image 1's pixel (r, c) = (1 + 5r + c) / 255 at (2 + r, 2 + c) of the 8x9 image; zeros around.
    EXPECT_FLOAT_EQ(d.x[(1 * 8 + 2 + 3) * 9 + 2 + 4], (1 + 5 * 3 + 4) / 255.0f);
    EXPECT_FLOAT_EQ(d.x[(1 * 8 + 0) * 9 + 0], 0.0f);
    EXPECT_FLOAT_EQ(d.x[(1 * 8 + 2) * 9 + 2 + 5], 0.0f);
  }
}

TEST_F(Fixture, IdxRefusesBadHeadersAndShortFilesNamingThem) {
  const std::string images = path("train-images-idx3-ubyte.gz"), labels = path("train-labels-idx1-ubyte.gz");
  const auto expect = [&](Idx idx, const std::string& says) {
    fs::remove_all(dir), fs::create_directories(dir);
    idx.write(dir, true);
    expect_data_error([&] { cnngen::load_idx(dir.string(), "train", 8, 9, 10); }, says);
  };
  expect(Idx{.image_magic = 0x801}, images + ": not an IDX file of uint8 images");
  expect(Idx{.label_magic = 0x803}, labels + ": not an IDX file of uint8 labels");
  expect(Idx{.n = 4000000000u}, images + ": sample count 4000000000 out of range");
  expect(Idx{.rows = 100000}, images + ": image size 100000x5 out of range");
  expect(Idx{.n_labels = 2}, labels + ": 2 labels for 3 images");
  expect(Idx{.rows = 9}, images + ": 9x5 images do not fit the model's 8x9 input");
  expect(Idx{.drop_bytes = 7}, images + ": truncated or corrupt while reading the pixels");
  expect(Idx{.label_offset = 9}, labels + ": label 10 of sample 1 is out of range (0..9)");
  // Nine million samples claimed over a file of three: refused by what the file holds, without
  // allocating for the claim.
  expect(Idx{.n = 9000000, .n_labels = 9000000}, labels + ": truncated or corrupt while reading the labels");
  expect_data_error([&] { cnngen::load_idx(path("none"), "train", 8, 9, 10); }, "train-images-idx3-ubyte.gz: no such file");
}
