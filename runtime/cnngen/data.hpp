// Data sets as the course uses them: NHWC floats scaled by 1/255, integer class labels. Loaded from
// a folder of `{label}_IMG_{id}.jpg` images or from the course's HDF5 layout. Every problem with the
// input is a DataError naming the file and what is wrong.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnngen {

struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Dataset {
  int n = 0, h = 0, w = 0, c = 0;
  std::vector<float> x;             // n * h * w * c, NHWC, in [0, 1]
  std::vector<int> y;               // n labels
  std::vector<std::string> sources; // where each sample came from, for messages

  int64_t sample_size() const { return int64_t(h) * w * c; }
  const float* sample(int i) const { return x.data() + sample_size() * i; }
};

// An 8-bit RGB image, decoded by libjpeg-turbo or libpng according to the file's signature.
struct Image {
  int h = 0, w = 0;
  std::vector<uint8_t> rgb;  // h * w * 3
};
Image read_image(const std::string& path);

// Nearest-neighbour resampling, as Keras's image.load_img(path, target_size) does by default, then
// scaling by 1/255 as the course does.
std::vector<float> to_input(const Image& img, int h, int w);

// Every image of `dir`, sorted by file name. A name must be `{label}_...` with 0 <= label < classes,
// and each image exactly h x w. Hidden files are ignored; anything else is an error.
Dataset load_image_folder(const std::string& dir, int h, int w, int classes);

// The course's HDF5 layout: `<prefix>_x` (N, h, w, 3) uint8, `<prefix>_y` (N) integer labels, and
// `list_classes`. prefix is "train_set" or "test_set".
Dataset load_h5(const std::string& path, const std::string& prefix, int h, int w, int classes);

// An MNIST-like IDX pair in `dir`: <prefix>-images-idx3-ubyte[.gz] (uint8 images) and
// <prefix>-labels-idx1-ubyte[.gz]; prefix "train" or "t10k". One channel, scaled by 1/255, each
// image centred in h x w with zeros around (Fashion-MNIST's 28x28 in LeNet-5's 32x32).
Dataset load_idx(const std::string& dir, const std::string& prefix, int h, int w, int classes);

// The samples whose label is a key of `relabel`, with their labels mapped (a binary task from SIGNS).
Dataset select_classes(const Dataset& d, const std::vector<std::pair<int, int>>& relabel);

// n samples of each label of d (classes: 0 .. classes-1), drawn by a fixed permutation of each
// class's samples from `seed`, in d's order: the same small training set whatever else varies.
// Throws DataError naming a class with fewer than n samples.
Dataset per_class(const Dataset& d, int n, int classes, uint64_t seed, const std::string& where);

}  // namespace cnngen
