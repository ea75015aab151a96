// Data-parallel training equals one process: run under `mpirun -np N` (tests/CMakeLists.txt runs
// N = 2 and 3), every rank trains its share of a global batch while it also trains, alone, a second
// copy of the model on the whole batch; after the step the two agree. Without mpirun the same
// program checks the single process's path (N = 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <zoo.hpp>

#include <cnngen/communicator.hpp>
#include <cnngen/model.hpp>

#include "zoo.hpp"

namespace {

using cnngen::FloatArray;

double max_abs(const FloatArray& a) {
  double m = 0;
  for (float v : a) m = std::max(m, double(std::abs(v)));
  return m;
}

// The largest difference between a and b relative to a's largest magnitude, one scale per tensor,
// as a gradient's small entries are sums that cancel; and no smaller than `floor`: a tensor whose
// every entry cancels (a convolution's bias before BatchNorm has a gradient of exactly 0 but for
// rounding) has no relative precision to compare.
double relative_difference(const FloatArray& a, const FloatArray& b, double floor = 0) {
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::abs(a[i] - b[i])));
  const double scale = std::max(max_abs(a), floor);
  return scale > 0 ? diff / scale : diff;
}

// 1e-4 of the model's largest gradient: what the floor above is for gradients.
double gradient_floor(const std::vector<cnngen::Parameter>& params) {
  double m = 0;
  for (const cnngen::Parameter& p : params)
    if (p.trainable) m = std::max(m, max_abs(p.grad));
  return 1e-4 * m;
}

cnngen::LossKind loss_of(cnngen::GraphView g) {
  return g.output_shape().c == 1 ? cnngen::LossKind::binary_crossentropy : cnngen::LossKind::categorical_crossentropy;
}

struct Batch {
  int n = 0;
  std::vector<float> x;
  std::vector<int> y;
};

// The same batch on every rank: drawn from a fixed seed.
Batch random_batch(cnngen::GraphView g, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(0, 1);
  Batch b{n, std::vector<float>(size_t(n) * g.input_shape().size()), std::vector<int>(n)};
  for (float& v : b.x) v = value(rng);
  const int classes = std::max(2, g.output_shape().c);
  for (int& y : b.y) y = static_cast<int>(rng() % classes);
  return b;
}

std::unique_ptr<cnngen::Model> make_model(cnngen::GraphView g, cnngen::Communicator& comm, bool sync_bn = true) {
  auto m = std::make_unique<cnngen::Model>(g, cnngen::generated::zoo());
  m->set_communicator(comm, sync_bn);
  m->network().initialize(11);
  // SGD, not Adam: Adam's first steps move each weight by about lr whatever the size of its gradient,
  // so a gradient of rounding noise (see relative_difference) would move the weights apart.
  m->compile(std::make_unique<cnngen::SGD>(0.05, 0.9), loss_of(g));
  m->broadcast_state(0);
  return m;
}

cnngen::Dataset as_dataset(cnngen::GraphView g, const Batch& b) {
  const cnngen::Shape s = g.input_shape();
  return {b.n, s.h, s.w, s.c, b.x, b.y, {}};
}

// HappyModel (BatchNorm, a binary head), a miniature ResNet (BatchNorm in blocks, Adds), a model
// with Dropout on images and vectors, and one with an auxiliary head.
struct Case {
  const char* name;
  cnngen::GraphView graph;
};
const Case kCases[] = {{"happy_model", happy_model::model},
                       {"residual", zoo::residual},
                       {"dropout", zoo::global},
                       {"auxiliary", zoo::auxiliary}};

class Distributed : public ::testing::TestWithParam<Case> {};

// 11 samples: uneven shares on 2 ranks (6 + 5) and on 3 (4 + 4 + 3).
constexpr int kBatch = 11;

// A bias whose layer only feeds BatchNormalization, which subtracts the mean it shifts: its gradient is
// 0 but for rounding, a difference of sums that cancel, and no order of summing agrees on it.
bool bias_before_batch_norm(cnngen::GraphView g, const cnngen::Parameter& p) {
  if (!p.name.ends_with("/bias") || g.nodes[p.node].act != cnngen::Act::linear) return false;
  bool read = false;
  for (const cnngen::Node& n : g.nodes)
    if (n.reads(p.node)) {
      if (n.op != cnngen::Op::batch_norm) return false;
      read = true;
    }
  return read;
}

TEST_P(Distributed, OneStepEqualsOneProcessOnTheGlobalBatch) {
  cnngen::Communicator& comm = cnngen::world();
  const cnngen::GraphView g = GetParam().graph;
  auto many = make_model(g, comm), one = make_model(g, cnngen::single_process());
  const Batch b = random_batch(g, kBatch, 100);
  const cnngen::ModelLoss a = one->train_on_batch(b.x.data(), b.y, b.n);
  const cnngen::ModelLoss d = many->train_on_batch(b.x.data(), b.y, b.n);
  EXPECT_NEAR(d.loss, a.loss, 1e-5 * std::abs(a.loss));
  EXPECT_EQ(d.correct, a.correct);
  ASSERT_EQ(d.heads.size(), a.heads.size());
  for (size_t h = 0; h < a.heads.size(); ++h) EXPECT_NEAR(d.heads[h].loss, a.heads[h].loss, 1e-5 * std::abs(a.heads[h].loss));
  const auto& pa = std::as_const(one->network()).parameters();
  const auto& pd = std::as_const(many->network()).parameters();
  const double floor = gradient_floor(pa);
  int compared = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (bias_before_batch_norm(g, pa[i])) continue;
    if (pa[i].trainable) {
      EXPECT_LE(relative_difference(pa[i].grad, pd[i].grad, floor), 1e-5) << pa[i].name << " gradient";
    }
    EXPECT_LE(relative_difference(pa[i].value, pd[i].value), 1e-5) << pa[i].name;
    ++compared;
  }
  EXPECT_GT(compared, static_cast<int>(pa.size()) / 2);
}

TEST_P(Distributed, EvaluationAndBatchNormEstimateEqualOneProcess) {
  cnngen::Communicator& comm = cnngen::world();
  const cnngen::GraphView g = GetParam().graph;
  auto many = make_model(g, comm), one = make_model(g, cnngen::single_process());
  const Batch b = random_batch(g, 2 * kBatch, 7);
  one->train_on_batch(b.x.data(), b.y, kBatch);
  many->train_on_batch(b.x.data(), b.y, kBatch);
  const cnngen::Dataset data = as_dataset(g, b);
  one->estimate_batch_norm(data, kBatch);
  many->estimate_batch_norm(data, kBatch);
  const auto& pa = std::as_const(one->network()).parameters();
  const auto& pd = std::as_const(many->network()).parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    if (bias_before_batch_norm(g, pa[i])) continue;
    EXPECT_LE(relative_difference(pa[i].value, pd[i].value), 1e-5) << pa[i].name;
  }
  // A batch of 2 leaves a rank of 3 without samples: evaluation needs no collective per batch.
  for (int batch : {kBatch, 2}) {
    const cnngen::Evaluation ea = one->evaluate(data, batch, false), ed = many->evaluate(data, batch, false);
    EXPECT_NEAR(ed.loss, ea.loss, 1e-5 * std::abs(ea.loss)) << "batch " << batch;
    EXPECT_EQ(ed.accuracy, ea.accuracy) << "batch " << batch;
  }
}

// Over epochs, sums taken in another order drift apart: two epochs of fit (66 samples in batches of
// 11, shuffled) stay within 1% of one process's loss and 2 points of its accuracy, epoch by epoch.
TEST_P(Distributed, TwoEpochsStayWithinOnePercentOfOneProcess) {
  cnngen::Communicator& comm = cnngen::world();
  const cnngen::GraphView g = GetParam().graph;
  auto many = make_model(g, comm), one = make_model(g, cnngen::single_process());
  const cnngen::Dataset data = as_dataset(g, random_batch(g, 6 * kBatch, 9));
  cnngen::FitOptions o;
  o.epochs = 2, o.batch_size = kBatch, o.seed = 4, o.verbose = false;
  const cnngen::History a = one->fit(data, o), d = many->fit(data, o);
  ASSERT_EQ(a.epochs.size(), 2u);
  ASSERT_EQ(d.epochs.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_NEAR(d.epochs[e].loss, a.epochs[e].loss, 0.01 * a.epochs[e].loss) << "epoch " << e + 1;
    EXPECT_NEAR(d.epochs[e].acc, a.epochs[e].acc, 0.02) << "epoch " << e + 1;
  }
}

// Per-rank BatchNorm statistics (--sync-bn off) compute other gradients than one process, but the
// ranks still take the same step: every rank ends with rank 0's parameters.
TEST_P(Distributed, PerRankBatchNormKeepsTheRanksInStep) {
  cnngen::Communicator& comm = cnngen::world();
  const cnngen::GraphView g = GetParam().graph;
  auto many = make_model(g, comm, false);
  const Batch b = random_batch(g, kBatch, 5);
  many->train_on_batch(b.x.data(), b.y, b.n);
  for (const cnngen::Parameter& p : std::as_const(many->network()).parameters()) {
    if (!p.trainable) continue;
    FloatArray root = p.value;
    comm.broadcast(std::span<float>(root), 0);
    EXPECT_EQ(root, p.value) << p.name << " on rank " << comm.rank();
  }
}

// The deterministic mode: batches of 11 in micro-batches of 2 (the last of 1), dealt 3 + 3 to two
// ranks and 2 + 2 + 2 to three. Two Adam steps on the ranks equal one process's, bit for bit.
TEST_P(Distributed, MicroBatchesReproduceOneProcessBitForBit) {
  cnngen::Communicator& comm = cnngen::world();
  const cnngen::GraphView g = GetParam().graph;
  auto many = make_model(g, comm), one = make_model(g, cnngen::single_process());
  for (auto* m : {many.get(), one.get()}) {
    m->set_micro_batch(2);
    m->compile(std::make_unique<cnngen::Adam>(1e-2), loss_of(g));
  }
  for (uint32_t step = 0; step < 2; ++step) {
    const Batch b = random_batch(g, kBatch, 200 + step);
    const cnngen::ModelLoss a = one->train_on_batch(b.x.data(), b.y, b.n);
    const cnngen::ModelLoss d = many->train_on_batch(b.x.data(), b.y, b.n);
    EXPECT_EQ(d.loss, a.loss) << "step " << step;
    EXPECT_EQ(d.correct, a.correct) << "step " << step;
    const auto& pa = std::as_const(one->network()).parameters();
    const auto& pd = std::as_const(many->network()).parameters();
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_EQ(pa[i].value, pd[i].value) << pa[i].name << ", step " << step;
      EXPECT_EQ(pa[i].grad, pd[i].grad) << pa[i].name << " gradient, step " << step;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Distributed, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ShareOf, CoversTheBatchInOrderAsEvenlyAsItCan) {
  for (int ranks = 1; ranks <= 5; ++ranks)
    for (int n = 0; n <= 13; ++n) {
      int next = 0;
      for (int r = 0; r < ranks; ++r) {
        const cnngen::Share s = cnngen::share_of(n, r, ranks);
        EXPECT_EQ(s.begin, next);
        EXPECT_TRUE(s.size() == n / ranks || s.size() == n / ranks + 1);
        next = s.end;
      }
      EXPECT_EQ(next, n);
    }
}

TEST(ShareOf, RefusesABatchThatLeavesARankWithoutSamples) {
  cnngen::Communicator& comm = cnngen::world();
  if (comm.size() == 1) GTEST_SKIP() << "one process: every batch splits";
  auto many = make_model(happy_model::model, comm);
  const Batch b = random_batch(happy_model::model, comm.size() - 1, 1);
  EXPECT_THROW(many->train_on_batch(b.x.data(), b.y, b.n), std::invalid_argument);
}

}  // namespace
