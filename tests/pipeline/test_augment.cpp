// The augmentations against their definitions: each checked on images whose every pixel is known.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include <cnngen/augment.hpp>

namespace {

constexpr int H = 12, W = 10, C = 3;

std::vector<float> ramp() {
  std::vector<float> v(H * W * C);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.01f + float(i) / float(v.size());  // no zero: padding shows
  return v;
}
float at(const std::vector<float>& v, int y, int x, int c) { return v[(size_t(y) * W + x) * C + c]; }

// The first key (from 0) whose draw satisfies `want`.
template <class Want>
cnngen::SampleDraw find_draw(const cnngen::Augmentation& a, Want want) {
  for (uint64_t key = 0; key < 10000; ++key)
    if (const cnngen::SampleDraw d = cnngen::draw(a, {}, key, H, W); want(d)) return d;
  throw std::logic_error("no such draw");
}

TEST(Augment, MirrorIsExact) {
  const std::vector<float> in = ramp();
  const cnngen::SampleDraw d = find_draw({.mirror = true}, [](const cnngen::SampleDraw& d) { return d.flip; });
  std::vector<float> out(in.size());
  cnngen::apply(d, in.data(), H, W, C, out.data());
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) ASSERT_EQ(at(out, y, x, c), at(in, y, W - 1 - x, c)) << y << "," << x;
  // Half the samples, about.
  int flips = 0;
  for (uint64_t key = 0; key < 1000; ++key) flips += cnngen::draw({.mirror = true}, {}, key, H, W).flip;
  EXPECT_NEAR(flips, 500, 60);
}

// Pad-and-crop: the output is the image's size, shifted by at most P, the rest zeros.
TEST(Augment, CropsStayInsideThePaddedImageAndKeepTheSize) {
  const std::vector<float> in = ramp();
  const cnngen::Augmentation a{.crop = 3};
  bool reached_edge = false;
  for (uint64_t key = 0; key < 500; ++key) {
    const cnngen::SampleDraw d = cnngen::draw(a, {}, key, H, W);
    ASSERT_LE(std::abs(d.dy), 3);
    ASSERT_LE(std::abs(d.dx), 3);
    reached_edge |= std::abs(d.dy) == 3;
    std::vector<float> out(in.size(), -1.0f);
    cnngen::apply(d, in.data(), H, W, C, out.data());
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const int sy = y + d.dy, sx = x + d.dx;
        const float expected = sy >= 0 && sy < H && sx >= 0 && sx < W ? at(in, sy, sx, 1) : 0.0f;
        ASSERT_EQ(at(out, y, x, 1), expected);
      }
  }
  EXPECT_TRUE(reached_edge);
}

// Random-scale crops: the window lies inside the image and has the drawn side; resampling a
// constant image gives the constant (the filter's weights sum to one).
TEST(Augment, ZoomWindowsLieInsideTheImage) {
  const cnngen::Augmentation a{.zoom = 0.4f};
  for (uint64_t key = 0; key < 500; ++key) {
    const cnngen::SampleDraw d = cnngen::draw(a, {}, key, H, W);
    ASSERT_GE(d.zoom_side, 0.6f);
    ASSERT_LE(d.zoom_side, 1.0f);
    ASSERT_GE(d.zoom_y, 0.0f);
    ASSERT_GE(d.zoom_x, 0.0f);
    ASSERT_LE(d.zoom_y + d.zoom_side * H, H + 1e-4f);
    ASSERT_LE(d.zoom_x + d.zoom_side * W, W + 1e-4f);
  }
  std::vector<float> flat(H * W * C, 0.25f), out(flat.size());
  cnngen::apply(cnngen::draw(a, {}, 7, H, W), flat.data(), H, W, C, out.data());
  for (float v : out) ASSERT_NEAR(v, 0.25f, 1e-5f);
}

// A zoom into the left half of a left-to-right ramp keeps the ramp's direction and its left value.
TEST(Augment, ZoomResamplesTheWindow) {
  std::vector<float> in(H * W * C), out(in.size());
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) in[(size_t(y) * W + x) * C + c] = float(x);
  cnngen::SampleDraw d;
  d.zoom_side = 0.5f, d.zoom_y = 3, d.zoom_x = 0;
  cnngen::apply(d, in.data(), H, W, C, out.data());
  for (int x = 1; x < W; ++x) EXPECT_GT(at(out, 6, x, 0), at(out, 6, x - 1, 0));
  EXPECT_LT(at(out, 6, W - 1, 0), 5.0f) << "nothing right of the window's edge";
}

TEST(Augment, AChannelShiftMovesOnlyItsChannel) {
  const std::vector<float> in = ramp();
  for (int c = 0; c < C; ++c) {
    cnngen::SampleDraw d;
    d.offset[c] = 0.125f;
    std::vector<float> out(in.size());
    cnngen::apply(d, in.data(), H, W, C, out.data());
    for (size_t i = 0; i < in.size(); ++i)
      ASSERT_EQ(out[i], int(i % C) == c ? in[i] + 0.125f : in[i]) << "channel " << c << ", value " << i;
  }
  for (uint64_t key = 0; key < 200; ++key)
    for (float o : cnngen::draw({.color = 0.2f}, {}, key, H, W).offset) ASSERT_LE(std::abs(o), 0.2f);
}

// A synthetic image set whose pixels have a known covariance: the axes and variances come back.
TEST(Augment, PcaRecoversThePrincipalAxesAndEigenvalues) {
  const double s = 1 / std::sqrt(2.0), t = 1 / std::sqrt(6.0), u = 1 / std::sqrt(3.0);
  const double axes[3][3] = {{s, -s, 0}, {t, t, -2 * t}, {u, u, u}};  // orthonormal
  const double variances[3] = {0.04, 0.01, 0.0025};
  cnngen::Dataset d;
  d.n = 200, d.h = 16, d.w = 16, d.c = 3;
  d.x.resize(size_t(d.n) * d.sample_size());
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  for (size_t p = 0; p < d.x.size() / 3; ++p) {
    double z[3];
    for (int k = 0; k < 3; ++k) z[k] = normal(rng) * std::sqrt(variances[k]);
    for (int c = 0; c < 3; ++c) d.x[p * 3 + c] = float(0.5 + z[0] * axes[0][c] + z[1] * axes[1][c] + z[2] * axes[2][c]);
  }
  const cnngen::PcaColor pca = cnngen::fit_pca_color(d);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(pca.eigenvalues[k], variances[k], 0.02 * variances[k]) << "eigenvalue " << k;
    double dot = 0, norm = 0;
    for (int c = 0; c < 3; ++c) dot += pca.eigenvectors[k][c] * axes[k][c], norm += pca.eigenvectors[k][c] * pca.eigenvectors[k][c];
    EXPECT_NEAR(std::abs(dot), 1.0, 1e-3) << "axis " << k;
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  // Saved and read back exactly (what a checkpoint keeps).
  const cnngen::PcaColor back = cnngen::parse_pca_color(cnngen::to_text(pca));
  EXPECT_EQ(back.eigenvalues, pca.eigenvalues);
  EXPECT_EQ(back.eigenvectors, pca.eigenvectors);
  // A draw moves every pixel by the same multiple of the axes: sum_k alpha_k lambda_k p_k.
  const cnngen::SampleDraw draw = cnngen::draw({.pca = 0.1f}, pca, 3, 4, 4);
  double along[3] = {};
  for (int k = 0; k < 3; ++k)
    for (int c = 0; c < 3; ++c) along[k] += draw.offset[c] * pca.eigenvectors[k][c];
  for (int k = 0; k < 3; ++k) EXPECT_LT(std::abs(along[k]) / pca.eigenvalues[k], 0.6) << "alpha_k of about 0.1";
}

TEST(Augment, SpecsParseAndPrintBack) {
  EXPECT_EQ(cnngen::parse_augmentation("off"), cnngen::Augmentation{});
  EXPECT_EQ(cnngen::parse_augmentation("on"), cnngen::default_augmentation());
  const cnngen::Augmentation all = cnngen::parse_augmentation("pca,mirror,crop=6,zoom,color=0.05");
  EXPECT_EQ(all.describe(), "mirror,crop=6,zoom=0.2,color=0.05,pca=0.1");
  EXPECT_EQ(cnngen::parse_augmentation(all.describe()), all);
  EXPECT_EQ(cnngen::parse_augmentation("crop").crop, 4);
  const cnngen::Augmentation fine = cnngen::parse_augmentation("zoom=0.123456789");
  EXPECT_EQ(cnngen::parse_augmentation(fine.describe()), fine) << fine.describe();
}

void refused(const std::string& spec, const std::string& says) {
  try {
    cnngen::parse_augmentation(spec);
    ADD_FAILURE() << spec << " was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(Augment, BadSpecsAreRefusedByName) {
  refused("mirror,flip", "unknown augmentation 'flip'");
  refused("crop=x", "augmentation crop takes a whole number of pixels from 1 to 1000, not 'x'");
  refused("crop=2.5", "not '2.5'");
  refused("zoom=1.5", "augmentation zoom takes a fraction above 0 and at most 0.9, not '1.5'");
  refused("pca=-1", "augmentation pca takes");
  refused("color=nan", "not 'nan'");
  refused("mirror=1", "augmentation mirror takes no value");
  refused("crop,crop=2", "augmentation crop given twice");
  refused("mirror,", "ends in a comma");
  refused("", "--augment needs");
  try {
    cnngen::check_augmentation({.crop = 12}, 12, 10, 3);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("crop=12: a shift as large as the 12x10 image"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cnngen::check_augmentation({.color = 0.1f}, 32, 32, 1), std::invalid_argument);
}

// AlexNet's ten crops: the corners at the training's largest shift, the centre, and their mirrors.
TEST(Augment, TenCropsAreTheCornersTheCentreAndTheirMirrors) {
  const std::vector<cnngen::View> v = cnngen::tta_views(cnngen::TtaCrops::ten, {.mirror = true, .crop = 4}, H, W);
  ASSERT_EQ(v.size(), 10u);
  for (int k = 0; k < 5; ++k) {
    EXPECT_FALSE(v[k].flip);
    EXPECT_TRUE(v[k + 5].flip);
    EXPECT_EQ(v[k].y, v[k + 5].y);
    EXPECT_EQ(std::abs(v[k].y), k == 4 ? 0 : 4);
    EXPECT_EQ(std::abs(v[k].x), k == 4 ? 0 : 4);
  }
  const std::vector<float> in = ramp();
  std::vector<float> out(in.size());
  cnngen::render_view(v[4], in.data(), H, W, C, out.data());
  EXPECT_EQ(out, in) << "the centre crop is the image";
  const std::vector<cnngen::View> zoomed = cnngen::tta_views(cnngen::TtaCrops::ten, {.zoom = 0.4f}, H, W);
  EXPECT_FLOAT_EQ(zoomed[0].side_h, 0.8f * H) << "the training zoom's mean side";
  EXPECT_EQ(cnngen::tta_views(cnngen::TtaCrops::mirror, {}, H, W).size(), 2u);
  const std::vector<cnngen::View> unmirrored = cnngen::tta_views(cnngen::TtaCrops::ten, {.crop = 4}, H, W);
  ASSERT_EQ(unmirrored.size(), 5u) << "no mirrors for a model trained without them";
  for (const cnngen::View& view : unmirrored) EXPECT_FALSE(view.flip);
}

}  // namespace
