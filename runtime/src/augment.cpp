#include <cnngen/augment.hpp>

#include <stb_image_resize.h>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace cnngen {

namespace {

// A uniform draw in [0, 1) from the stream's next 53 bits: the same on every standard library.
double uniform(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1p-53; }

// A standard normal draw (Box-Muller), for the same reason.
double normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform(rng), u2 = uniform(rng);  // u1 in (0, 1]: log(u1) is finite
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Each item's parameter: its default, its range (min excluded unless whole), and how to say it.
struct ItemRule {
  const char* name;
  double fallback, min, max;
  bool whole;
  const char* range;
};
constexpr ItemRule kItems[] = {
    {"mirror", 0, 0, 0, false, ""},
    {"crop", 4, 1, 1000, true, "a whole number of pixels from 1 to 1000"},
    {"zoom", 0.2, 0, 0.9, false, "a fraction above 0 and at most 0.9"},
    {"color", 0.1, 0, 1, false, "an offset above 0 and at most 1 (images are in [0, 1])"},
    {"pca", 0.1, 0, 10, false, "a standard deviation above 0 and at most 10"},
};
constexpr const char* kItemList = "mirror, crop[=P], zoom[=Z], color[=C], pca[=S]";

double item_value(const ItemRule& rule, std::string_view text) {
  const std::string s(text);
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    const bool in_range = rule.whole ? v >= rule.min && v <= rule.max && v == std::floor(v) : v > rule.min && v <= rule.max;
    if (used == s.size() && std::isfinite(v) && in_range) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string("augmentation ") + rule.name + " takes " + rule.range + ", not '" + s + "'");
}

// The shortest decimal that reads back as the same float, so that describe() round-trips.
std::string number(float v) {
  char text[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, double(v));
    if (std::strtof(text, nullptr) == v) break;
  }
  return text;
}

// Copies `in` shifted by (dy, dx) (out(y, x) = in(y + dy, x + dx), zeros outside) and mirrored:
// each row's part inside the image at once, whole when not mirrored.
void shifted_copy(const float* in, int h, int w, int c, int dy, int dx, bool flip, float* out) {
  const int64_t row = int64_t(w) * c;
  const int x0 = std::clamp(-dx, 0, w), x1 = std::clamp(w - dx, x0, w);  // 0 <= x + dx < w
  for (int y = 0; y < h; ++y) {
    float* o = out + y * row;
    const int sy = y + dy;
    if (sy < 0 || sy >= h) {
      std::fill(o, o + row, 0.0f);
      continue;
    }
    std::fill(o, o + x0 * c, 0.0f);
    std::fill(o + x1 * c, o + row, 0.0f);
    const float* src = in + sy * row;
    if (!flip) {
      std::memcpy(o + x0 * c, src + (x0 + dx) * c, sizeof(float) * (x1 - x0) * c);
      continue;
    }
    if (c == 3) {  // RGB, unrolled: a copy of c floats per pixel costs a call
      for (int x = x0; x < x1; ++x) {
        const float* p = src + (w - 1 - (x + dx)) * 3;
        o[x * 3] = p[0], o[x * 3 + 1] = p[1], o[x * 3 + 2] = p[2];
      }
    } else {
      for (int x = x0; x < x1; ++x) std::copy_n(src + (w - 1 - (x + dx)) * c, c, o + x * c);
    }
  }
}

// The window [y, y + side_h) x [x, x + side_w) of the image (inside it), resampled to h x w.
void resample_window(const float* in, int h, int w, int c, float y, float x, float side_h, float side_w, float* out) {
  const int ok = stbir_resize_region(in, w, h, 0, out, w, h, 0, STBIR_TYPE_FLOAT, c, STBIR_ALPHA_CHANNEL_NONE, 0,
                                     STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP, STBIR_FILTER_CATMULLROM, STBIR_FILTER_CATMULLROM,
                                     STBIR_COLORSPACE_LINEAR, nullptr, x / w, y / h, (x + side_w) / w, (y + side_h) / h);
  if (!ok) throw std::runtime_error("stb_image_resize failed on a " + std::to_string(h) + "x" + std::to_string(w) + " image");
}

}  // namespace

PcaColor fit_pca_color(const Dataset& d) {
  if (d.c != 3) throw std::invalid_argument("PCA colour augmentation needs RGB images, not " + std::to_string(d.c) + " channels");
  if (d.n == 0) throw std::invalid_argument("PCA colour augmentation: the training set is empty");
  double sum[3] = {}, cross[3][3] = {};
  const int64_t pixels = int64_t(d.n) * d.h * d.w;
  for (int64_t p = 0; p < pixels; ++p) {
    const float* v = d.x.data() + p * 3;
    for (int i = 0; i < 3; ++i) {
      sum[i] += v[i];
      for (int j = i; j < 3; ++j) cross[i][j] += double(v[i]) * v[j];
    }
  }
  Eigen::Matrix3d cov;
  for (int i = 0; i < 3; ++i)
    for (int j = i; j < 3; ++j) cov(i, j) = cov(j, i) = cross[i][j] / pixels - (sum[i] / pixels) * (sum[j] / pixels);
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> solver(cov);
  if (solver.info() != Eigen::Success) throw std::runtime_error("PCA colour augmentation: the eigen-decomposition failed");
  PcaColor p;
  for (int k = 0; k < 3; ++k) {  // Eigen sorts ascending
    const int from = 2 - k;
    Eigen::Vector3d v = solver.eigenvectors().col(from);
    int largest = 0;  // the sign made definite: the largest component positive
    for (int i = 1; i < 3; ++i)
      if (std::abs(v[i]) > std::abs(v[largest])) largest = i;
    if (v[largest] < 0) v = -v;
    p.eigenvalues[k] = static_cast<float>(std::max(0.0, solver.eigenvalues()[from]));
    for (int i = 0; i < 3; ++i) p.eigenvectors[k][i] = static_cast<float>(v[i]);
  }
  return p;
}

std::string to_text(const PcaColor& p) {
  std::string s;
  char v[32];
  for (int k = 0; k < 3; ++k) {
    std::snprintf(v, sizeof v, "%s%.9g", k ? " " : "", p.eigenvalues[k]);
    s += v;
  }
  for (const auto& axis : p.eigenvectors)
    for (float f : axis) {
      std::snprintf(v, sizeof v, " %.9g", f);
      s += v;
    }
  return s;
}

PcaColor parse_pca_color(const std::string& text) {
  std::istringstream in(text);
  PcaColor p;
  for (float& v : p.eigenvalues) in >> v;
  for (auto& axis : p.eigenvectors)
    for (float& f : axis) in >> f;
  std::string rest;
  if (in.fail() || (in >> rest, !rest.empty())) throw std::invalid_argument("malformed PCA colour decomposition '" + text + "'");
  for (float v : p.eigenvalues)
    if (!std::isfinite(v) || v < 0) throw std::invalid_argument("PCA colour decomposition with eigenvalue " + number(v));
  return p;
}

std::string Augmentation::describe() const {
  std::string s;
  const auto add = [&](const std::string& item) { s += (s.empty() ? "" : ",") + item; };
  if (mirror) add("mirror");
  if (crop > 0) add("crop=" + std::to_string(crop));
  if (zoom > 0) add("zoom=" + number(zoom));
  if (color > 0) add("color=" + number(color));
  if (pca > 0) add("pca=" + number(pca));
  return s.empty() ? "off" : s;
}

Augmentation default_augmentation() { return {.mirror = true, .crop = 4}; }

Augmentation parse_augmentation(std::string_view spec) {
  if (spec == "off") return {};
  if (spec == "on") return default_augmentation();
  if (spec.empty()) throw std::invalid_argument("--augment needs off, on or a list of " + std::string(kItemList));
  Augmentation a;
  std::vector<std::string> seen;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (comma != std::string_view::npos && spec.empty()) throw std::invalid_argument("--augment: a list that ends in a comma");
    const size_t eq = item.find('=');
    const std::string name(item.substr(0, eq));
    const ItemRule* rule = nullptr;
    for (const ItemRule& r : kItems)
      if (name == r.name) rule = &r;
    if (!rule) throw std::invalid_argument("unknown augmentation '" + name + "' (expected off, on, or " + kItemList + ")");
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) throw std::invalid_argument("augmentation " + name + " given twice");
    seen.push_back(name);
    if (name == "mirror") {
      if (eq != std::string_view::npos) throw std::invalid_argument("augmentation mirror takes no value");
      a.mirror = true;
      continue;
    }
    const double v = eq == std::string_view::npos ? rule->fallback : item_value(*rule, item.substr(eq + 1));
    if (name == "crop") a.crop = static_cast<int>(v);
    else if (name == "zoom") a.zoom = static_cast<float>(v);
    else if (name == "color") a.color = static_cast<float>(v);
    else a.pca = static_cast<float>(v);
  }
  return a;
}

void check_augmentation(const Augmentation& a, int h, int w, int c) {
  if (a.crop >= std::min(h, w))
    throw std::invalid_argument("augmentation crop=" + std::to_string(a.crop) + ": a shift as large as the " + std::to_string(h) +
                                "x" + std::to_string(w) + " image leaves nothing of it");
  if ((a.color > 0 || a.pca > 0) && c != 3)
    throw std::invalid_argument("colour augmentation needs RGB images; these have " + std::to_string(c) + " channel(s)");
}

uint64_t sample_key(uint64_t seed, int epoch, int sample) {
  return (seed * 1000003ull + static_cast<uint64_t>(epoch)) * 2654435761ull + static_cast<uint64_t>(sample);
}

SampleDraw draw(const Augmentation& a, const PcaColor& pca, uint64_t key, int h, int w) {
  SampleDraw d;
  if (!a.any()) return d;
  std::mt19937_64 rng(key);
  // mirror and crop draw first, and as the trainer drew them before the other items existed.
  if (a.mirror) d.flip = rng() & 1;
  if (a.crop > 0) {
    const uint64_t span = 2 * uint64_t(a.crop) + 1;
    d.dy = static_cast<int>(rng() % span) - a.crop;
    d.dx = static_cast<int>(rng() % span) - a.crop;
  }
  if (a.zoom > 0) {
    d.zoom_side = static_cast<float>(1.0 - a.zoom * uniform(rng));
    d.zoom_y = static_cast<float>(uniform(rng) * h * (1 - d.zoom_side));
    d.zoom_x = static_cast<float>(uniform(rng) * w * (1 - d.zoom_side));
  }
  if (a.color > 0)
    for (float& o : d.offset) o += static_cast<float>(a.color * (2 * uniform(rng) - 1));
  if (a.pca > 0)
    for (int k = 0; k < 3; ++k) {
      const float alpha = static_cast<float>(a.pca * normal(rng));
      for (int ch = 0; ch < 3; ++ch) d.offset[ch] += alpha * pca.eigenvalues[k] * pca.eigenvectors[k][ch];
    }
  return d;
}

void apply(const SampleDraw& d, const float* in, int h, int w, int c, float* out) {
  const float* src = in;
  thread_local std::vector<float> zoomed;  // one per producer thread: no allocation per sample
  if (d.zoom_side < 1) {
    zoomed.resize(size_t(h) * w * c);
    resample_window(in, h, w, c, d.zoom_y, d.zoom_x, d.zoom_side * h, d.zoom_side * w, zoomed.data());
    src = zoomed.data();
  }
  if (d.flip || d.dy || d.dx) shifted_copy(src, h, w, c, d.dy, d.dx, d.flip, out);
  else std::memcpy(out, src, sizeof(float) * h * w * c);
  if (d.offset == std::array<float, 3>{}) return;
  const int64_t pixels = int64_t(h) * w;
  for (int64_t p = 0; p < pixels; ++p)
    for (int ch = 0; ch < 3; ++ch) out[p * c + ch] += d.offset[ch];
}

void render_view(const View& v, const float* in, int h, int w, int c, float* out) {
  const bool whole = v.side_h == h && v.side_w == w && v.y == std::floor(v.y) && v.x == std::floor(v.x);
  if (whole) return shifted_copy(in, h, w, c, static_cast<int>(v.y), static_cast<int>(v.x), v.flip, out);
  thread_local std::vector<float> window;
  window.resize(size_t(h) * w * c);
  resample_window(in, h, w, c, v.y, v.x, v.side_h, v.side_w, window.data());
  shifted_copy(window.data(), h, w, c, 0, 0, v.flip, out);
}

TtaCrops parse_tta(std::string_view s) {
  if (s == "off") return TtaCrops::none;
  if (s == "mirror") return TtaCrops::mirror;
  if (s == "ten") return TtaCrops::ten;
  throw std::invalid_argument("--tta takes off, mirror or ten, not '" + std::string(s) + "'");
}

const char* tta_name(TtaCrops t) { return t == TtaCrops::none ? "off" : t == TtaCrops::mirror ? "mirror" : "ten"; }

std::vector<View> tta_views(TtaCrops t, const Augmentation& a, int h, int w) {
  const View whole{0, 0, float(h), float(w), false};
  if (t == TtaCrops::none) return {whole};
  if (t == TtaCrops::mirror) return {whole, {0, 0, float(h), float(w), true}};
  std::vector<View> views;
  if (a.zoom > 0) {  // windows of the training zoom's mean side, at the image's corners and centre
    const float side = 1 - a.zoom / 2, sh = side * h, sw = side * w;
    for (const auto& [y, x] : {std::pair{0.f, 0.f}, {0.f, w - sw}, {h - sh, 0.f}, {h - sh, w - sw}, {(h - sh) / 2, (w - sw) / 2}})
      views.push_back({y, x, sh, sw, false});
  } else {  // the image shifted by the training's largest crop towards each corner, and itself
    const float p = float(a.crop);
    for (const auto& [y, x] : {std::pair{-p, -p}, {-p, p}, {p, -p}, {p, p}, {0.f, 0.f}})
      views.push_back({y, x, float(h), float(w), false});
  }
  // Their mirrors where the training mirrored: a model that never saw one is not asked about one.
  if (a.mirror)
    for (int k = 0; k < 5; ++k) views.push_back({views[k].y, views[k].x, views[k].side_h, views[k].side_w, true});
  return views;
}

}  // namespace cnngen
