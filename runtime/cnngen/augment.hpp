// Data augmentation, as the course advises for small data sets and as Keras's preprocessing layers
// mean it. Every draw of a sample comes from one key, (seed, epoch, sample), so that an augmented
// batch is the same whatever thread makes it, after --resume, and on any MPI rank.
//   mirror      RandomFlip("horizontal"): mirrored with probability 1/2.
//   crop=P      pad-and-crop (ZeroPadding2D(P) then RandomCrop(h, w); RandomTranslation by up to P
//               pixels with zeros filling in): a shift of -P..P pixels each way.
//   zoom=Z      RandomZoom(-Z): a square-aspect crop of side s*h x s*w, s uniform in [1-Z, 1], at a
//               uniform position inside the image, resampled back to h x w (Catmull-Rom).
//   color=C     channel shift: each channel offset by a uniform draw in [-C, C] (images in [0, 1]).
//   pca=S       AlexNet's PCA colour augmentation: every pixel moved by sum_k a_k lambda_k p_k, with
//               (lambda_k, p_k) the eigenpairs of the training set's RGB covariance, a_k ~ N(0, S).
// Applied in that order: zoom, then mirror and crop (exact pixel copies), then the colour offsets.
#pragma once
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "data.hpp"

namespace cnngen {

// The eigen-decomposition of a data set's RGB covariance (what pca= draws along).
struct PcaColor {
  std::array<float, 3> eigenvalues{};                 // descending
  std::array<std::array<float, 3>, 3> eigenvectors{};  // eigenvectors[k]: the unit axis of eigenvalues[k]
  bool empty() const { return eigenvalues == std::array<float, 3>{}; }
};
// Over every pixel of every image of a three-channel data set (Eigen's self-adjoint solver).
PcaColor fit_pca_color(const Dataset& d);
// As text and back (twelve numbers, exact): what a checkpoint keeps. parse throws std::invalid_argument.
std::string to_text(const PcaColor& p);
PcaColor parse_pca_color(const std::string& text);

struct Augmentation {
  bool mirror = false;
  int crop = 0;
  float zoom = 0, color = 0, pca = 0;
  bool any() const { return mirror || crop > 0 || zoom > 0 || color > 0 || pca > 0; }
  // The command line's spelling, canonical ("mirror,crop=4"; "off" for none): parse(describe()) == *this.
  std::string describe() const;
  bool operator==(const Augmentation&) const = default;
};

// The command line's --augment: "off", "on" (the defaults below), or a comma-separated list of
// mirror, crop[=P], zoom[=Z], color[=C], pca[=S]. Throws std::invalid_argument naming the item.
Augmentation parse_augmentation(std::string_view spec);
// What --augment on means: mirror,crop=4, the steadiest combination on ResNet50 and SIGNS (RESULTS.md),
// drawn as the trainer drew it before the list existed.
Augmentation default_augmentation();
// Throws std::invalid_argument when a is meaningless for h x w images of c channels (a crop as large
// as the image, colour augmentation of a grey image).
void check_augmentation(const Augmentation& a, int h, int w, int c);

// What the draws of one sample chose.
struct SampleDraw {
  bool flip = false;
  int dy = 0, dx = 0;                      // the crop's shift
  float zoom_side = 1, zoom_y = 0, zoom_x = 0;  // the zoom's window: side (fraction of the image), top-left (pixels)
  std::array<float, 3> offset{};           // added to each channel (colour shift and PCA together)
};
// The key of a sample's draws in an epoch (also Dropout's seeds come from it).
uint64_t sample_key(uint64_t seed, int epoch, int sample);
SampleDraw draw(const Augmentation& a, const PcaColor& pca, uint64_t key, int h, int w);

// Writes the augmented h x w x c image of `in` to `out` (distinct buffers).
void apply(const SampleDraw& d, const float* in, int h, int w, int c, float* out);

// A test-time view: the window of the image at top-left (y, x) of side_h x side_w pixels (beyond
// the image: zeros), resampled to h x w, mirrored or not. A side of 0: the image as it is.
struct View {
  float y = 0, x = 0, side_h = 0, side_w = 0;
  bool flip = false;
};
void render_view(const View& v, const float* in, int h, int w, int c, float* out);

// Test-time augmentation's crop sets (--tta): none (the image itself), mirror (it and its mirror),
// ten (AlexNet's: the four corners and the centre at the training crops' scale, and their mirrors
// if the training mirrored; else those five alone).
enum class TtaCrops { none, mirror, ten };
TtaCrops parse_tta(std::string_view s);  // "off", "mirror", "ten"; throws std::invalid_argument
const char* tta_name(TtaCrops t);
// The views of a set for a model trained with augmentation a: the corners lie `a.crop` pixels out
// (the training's largest shift) in a window of the training zoom's mean side.
std::vector<View> tta_views(TtaCrops t, const Augmentation& a, int h, int w);

}  // namespace cnngen
