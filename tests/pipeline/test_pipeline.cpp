// The input pipeline: batches in order, the same for any number of producers, a producer's error
// surfacing as the consumer's, and a prompt stop.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <algorithm>
#include <thread>

#include <cnngen/augment.hpp>
#include <cnngen/input_pipeline.hpp>

namespace {

using namespace std::chrono_literals;

// A data set of 20 RGB 9x7 images of distinct pixels.
cnngen::Dataset images() {
  cnngen::Dataset d;
  d.n = 20, d.h = 9, d.w = 7, d.c = 3;
  d.x.resize(size_t(d.n) * d.sample_size());
  for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = float(i % 251) / 251.0f;
  for (int i = 0; i < d.n; ++i) d.y.push_back(i % 6);
  return d;
}

// Every batch of `epochs` epochs of d in batches of 6, every augmentation on, made by `producers`.
std::vector<cnngen::Batch> all_batches(const cnngen::Dataset& d, int producers, int epochs) {
  const cnngen::Augmentation a = cnngen::parse_augmentation("mirror,crop=2,zoom=0.3,color=0.1,pca=0.1");
  const cnngen::PcaColor pca = cnngen::fit_pca_color(d);
  const int per_epoch = (d.n + 5) / 6;
  const auto fill = [&](int index, cnngen::Batch& b, const std::atomic<bool>& stop) {
    b.epoch = index / per_epoch, b.first = index % per_epoch * 6, b.n = std::min(6, d.n - b.first);
    b.x.resize(size_t(b.n) * d.sample_size());
    b.y.resize(b.n);
    for (int i = 0; i < b.n && !stop; ++i) {
      const int s = (b.first + i * 7) % d.n;  // a fixed permutation
      b.y[i] = d.y[s];
      const cnngen::SampleDraw draw = cnngen::draw(a, pca, cnngen::sample_key(9, b.epoch, s), d.h, d.w);
      cnngen::apply(draw, d.sample(s), d.h, d.w, d.c, b.x.data() + i * d.sample_size());
    }
  };
  cnngen::InputPipeline input(per_epoch * epochs, fill, {.producers = producers});
  std::vector<cnngen::Batch> out;
  while (const cnngen::Batch* b = input.next()) out.push_back(*b);
  return out;
}

TEST(InputPipeline, BatchesAreTheSameForOneTwoAndThreeProducers) {
  const cnngen::Dataset d = images();
  const std::vector<cnngen::Batch> one = all_batches(d, 1, 3);
  ASSERT_EQ(one.size(), 12u);
  for (size_t k = 0; k < one.size(); ++k) EXPECT_EQ(one[k].index, int(k)) << "batches come in order";
  for (int producers : {2, 3}) {
    const std::vector<cnngen::Batch> many = all_batches(d, producers, 3);
    ASSERT_EQ(many.size(), one.size());
    for (size_t k = 0; k < one.size(); ++k) {
      EXPECT_EQ(many[k].x, one[k].x) << producers << " producers, batch " << k;  // bit for bit
      EXPECT_EQ(many[k].y, one[k].y);
    }
  }
}

TEST(InputPipeline, AProducersExceptionIsTheConsumersAtThatBatch) {
  const auto fill = [](int index, cnngen::Batch& b, const std::atomic<bool>&) {
    if (index == 5) throw std::runtime_error("sample 31: unreadable");
    b.n = 1;
  };
  for (int producers : {1, 3}) {
    cnngen::InputPipeline input(10, fill, {.producers = producers});
    for (int k = 0; k < 5; ++k) ASSERT_NE(input.next(), nullptr) << k;
    try {
      input.next();
      FAIL() << "the failed batch was handed out";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "sample 31: unreadable");
    }
    EXPECT_EQ(input.next(), nullptr) << "nothing after the error";
  }
}

// A training stopped early (the pipeline destroyed with batches to go) does not wait for them: the
// producers notice the stop within one sample's work.
TEST(InputPipeline, StopsWithinASecondWhenTrainingStopsEarly) {
  const auto slow_fill = [](int, cnngen::Batch& b, const std::atomic<bool>& stop) {
    for (int i = 0; i < 1000 && !stop; ++i) std::this_thread::sleep_for(5ms);  // 5 s a batch unless stopped
    b.n = 1;
  };
  auto input = std::make_unique<cnngen::InputPipeline>(100, slow_fill, cnngen::InputPipeline::Options{.producers = 3});
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  input.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

// The consumer never waits once the producers are ahead, and the ring bounds how far ahead they go.
TEST(InputPipeline, ProducersStayWithinTheRing) {
  std::atomic<int> made{0};
  const auto fill = [&](int, cnngen::Batch& b, const std::atomic<bool>&) { made++, b.n = 1; };
  cnngen::InputPipeline input(50, fill, {.producers = 2, .depth = 4});
  ASSERT_NE(input.next(), nullptr);
  std::this_thread::sleep_for(100ms);
  EXPECT_LE(made.load(), 4) << "the batch held and the three after it, no more";
  EXPECT_GE(made.load(), 3);
  int seen = 1;
  while (input.next()) ++seen;
  EXPECT_EQ(seen, 50);
  EXPECT_EQ(made.load(), 50);
}

TEST(InputPipeline, NoBatchesEndsAtOnce) {
  cnngen::InputPipeline input(0, [](int, cnngen::Batch&, const std::atomic<bool>&) { FAIL(); }, {});
  EXPECT_EQ(input.next(), nullptr);
}

}  // namespace

namespace {

// --per-class: n samples of each class, the same ones every time, in the data set's order.
TEST(PerClass, TakesNOfEachClassTheSameEveryTime) {
  cnngen::Dataset d;
  d.n = 30, d.h = 1, d.w = 1, d.c = 1;
  for (int i = 0; i < d.n; ++i) d.x.push_back(float(i)), d.y.push_back(i % 3), d.sources.push_back(std::to_string(i));
  const cnngen::Dataset a = cnngen::per_class(d, 4, 3, 0, "train"), b = cnngen::per_class(d, 4, 3, 0, "train");
  ASSERT_EQ(a.n, 12);
  EXPECT_EQ(a.x, b.x);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(std::count(a.y.begin(), a.y.end(), c), 4);
  for (int i = 1; i < a.n; ++i) EXPECT_LT(a.x[i - 1], a.x[i]) << "in the data set's order";
  for (int i = 0; i < a.n; ++i) EXPECT_EQ(int(a.x[i]) % 3, a.y[i]) << "each sample keeps its label";
  EXPECT_NE(cnngen::per_class(d, 4, 3, 1, "train").x, a.x) << "another seed, another draw";
  EXPECT_THROW(cnngen::per_class(d, 11, 3, 0, "train"), cnngen::DataError);
}

}  // namespace
