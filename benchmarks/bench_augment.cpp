// The augmentations' cost per 64x64 RGB image (SIGNS's size), one producer thread: what the input
// pipeline spends beside the trainer. Each benchmark draws and applies one configuration to a
// different sample every iteration, as an epoch does.
#include <benchmark/benchmark.h>

#include <cnngen/augment.hpp>

namespace {

constexpr int kSide = 64, kSamples = 1080;

const cnngen::Dataset& images() {
  static const cnngen::Dataset d = [] {
    cnngen::Dataset d;
    d.n = kSamples, d.h = kSide, d.w = kSide, d.c = 3;
    d.x.resize(size_t(d.n) * d.sample_size());
    for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = float(i * 7919 % 255) / 255.0f;
    return d;
  }();
  return d;
}

void augment(benchmark::State& state, const char* spec) {
  const cnngen::Dataset& d = images();
  const cnngen::Augmentation a = cnngen::parse_augmentation(spec);
  const cnngen::PcaColor pca = cnngen::fit_pca_color(d);
  std::vector<float> out(d.sample_size());
  int sample = 0;
  for (auto _ : state) {
    const cnngen::SampleDraw draw = cnngen::draw(a, pca, cnngen::sample_key(0, 0, sample), kSide, kSide);
    cnngen::apply(draw, d.sample(sample), kSide, kSide, 3, out.data());
    benchmark::DoNotOptimize(out.data());
    sample = (sample + 1) % kSamples;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(augment, off, "off");
BENCHMARK_CAPTURE(augment, mirror_crop4, "mirror,crop=4");
BENCHMARK_CAPTURE(augment, zoom, "zoom");
BENCHMARK_CAPTURE(augment, color, "color");
BENCHMARK_CAPTURE(augment, pca, "pca");
BENCHMARK_CAPTURE(augment, all, "mirror,crop,zoom,color,pca");

}  // namespace

BENCHMARK_MAIN();
