// The trainer's parts: checkpoints, optimizers, losses, summary, progress bar.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <happy_model.hpp>
#include <sstream>
#include <zoo.hpp>

#include <cnngen/checkpoint.hpp>
#include <cnngen/loss.hpp>
#include <cnngen/model.hpp>
#include <cnngen/progress.hpp>
#include <cnngen/summary.hpp>

#include "zoo.hpp"

namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("cnngen_" + std::to_string(::getpid()) + "_" + name)).string();
}

// A network and an optimizer with state: two Adam steps on a real batch.
struct Trained {
  cnngen::Model model{zoo::odd, cnngen::generated::zoo()};
  Trained() {
    model.network().initialize(3);
    model.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
    std::vector<float> x(4 * 11 * 9 * 3);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i));
    const std::vector<int> y{0, 1, 2, 1};
    model.train_on_batch(x.data(), y, 4);
    model.train_on_batch(x.data(), y, 4);
  }
};

TEST(Checkpoint, RoundTripsParametersOptimizerStateAndEpochs) {
  Trained a;
  const std::string path = temp_path("round.ckpt");
  cnngen::save_checkpoint(path, a.model.network(), a.model.optimizer(), {7});
  EXPECT_FALSE(fs::exists(path + ".tmp")) << "the temporary file must be renamed away";

  cnngen::Model b(zoo::odd, cnngen::generated::zoo());
  b.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  EXPECT_EQ(cnngen::load_checkpoint(path, b.network(), b.optimizer()).epochs_done, 7);
  for (size_t i = 0; i < a.model.network().parameters().size(); ++i)
    EXPECT_EQ(a.model.network().parameters()[i].value, b.network().parameters()[i].value) << a.model.network().parameters()[i].name;
  EXPECT_EQ(a.model.optimizer()->iterations, b.optimizer()->iterations);
  EXPECT_EQ(a.model.optimizer()->slots, b.optimizer()->slots);
  fs::remove(path);
}

template <class F>
void expect_checkpoint_error(F&& f, const std::string& says) {
  try {
    f();
    FAIL() << "expected a CheckpointError saying: " << says;
  } catch (const cnngen::CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << "the error says: " << e.what();
  }
}

TEST(Checkpoint, BadFilesAreClearErrorsAndLeaveTheNetworkAsItWas) {
  Trained a;
  const std::string path = temp_path("bad.ckpt");
  cnngen::save_checkpoint(path, a.model.network(), a.model.optimizer(), {1});
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  cnngen::Model b(zoo::odd, cnngen::generated::zoo());
  const auto before = b.network().parameters()[0].value;

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  std::ofstream(path, std::ios::binary) << flipped;
  expect_checkpoint_error([&] { cnngen::load_checkpoint(path, b.network(), nullptr); }, "corrupt checkpoint (checksum mismatch)");

  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 3);
  expect_checkpoint_error([&] { cnngen::load_checkpoint(path, b.network(), nullptr); }, "corrupt checkpoint");

  std::ofstream(path, std::ios::binary | std::ios::trunc) << "PK\x03\x04 a zip, say";
  expect_checkpoint_error([&] { cnngen::load_checkpoint(path, b.network(), nullptr); }, "not a cnngen checkpoint");

  expect_checkpoint_error([&] { cnngen::load_checkpoint(temp_path("none.ckpt"), b.network(), nullptr); }, "no such checkpoint");

  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  cnngen::Model happy(happy_model::model, cnngen::generated::happy_model());
  expect_checkpoint_error([&] { cnngen::load_checkpoint(path, happy.network(), nullptr); }, "checkpoint of model ZooOdd, not HappyModel");
  EXPECT_EQ(b.network().parameters()[0].value, before);
  fs::remove(path);
}

TEST(Adam, FirstStepsFollowKerasFormula) {
  cnngen::Parameter p{"w", {3}, true, {1.0f, -2.0f, 0.5f}, {0.1f, -0.3f, 0.0f}};
  std::vector<cnngen::Parameter> params{p};
  cnngen::Adam adam(0.01);
  double m[3] = {}, v[3] = {}, w[3] = {1.0, -2.0, 0.5};
  const double g[2][3] = {{0.1, -0.3, 0.0}, {-0.2, 0.4, 1.0}};
  for (int t = 1; t <= 2; ++t) {
    for (int i = 0; i < 3; ++i) params[0].grad[i] = float(g[t - 1][i]);
    adam.step(params);
    const double lr_t = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (int i = 0; i < 3; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
      v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
      w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + 1e-7);
      EXPECT_NEAR(params[0].value[i], w[i], 1e-6) << "step " << t << " element " << i;
    }
  }
}

// Arrays past one chunk of the optimizers' parallel loop (64K elements; a partial last chunk):
// every element updated once, by the same formula, whichever thread ran its chunk.
TEST(Adam, LargeArraysUpdateEveryElementOnce) {
  const int size = 3 * 65536 + 123;
  cnngen::Parameter p{"w", {size}, true, {}, {}};
  p.value.resize(size), p.grad.resize(size);
  for (int i = 0; i < size; ++i) p.value[i] = 0.001f * (i % 1000), p.grad[i] = 0.01f * ((i * 7) % 13 - 6);
  std::vector<cnngen::Parameter> params{p};
  cnngen::Adam adam(0.01);
  adam.step(params);
  const double lr_t = 0.01 * std::sqrt(1 - 0.999) / (1 - 0.9);
  for (int i = 0; i < size; ++i) {
    const double g = p.grad[i], m = 0.1 * g, v = 0.001 * g * g;
    ASSERT_NEAR(params[0].value[i], p.value[i] - lr_t * m / (std::sqrt(v) + 1e-7), 1e-6) << "element " << i;
  }
}

TEST(SGD, MomentumAccumulatesVelocity) {
  std::vector<cnngen::Parameter> params{{"w", {1}, true, {1.0f}, {0.5f}}};
  cnngen::SGD sgd(0.1, 0.9);
  sgd.step(params);  // v = -0.05, w = 0.95
  sgd.step(params);  // v = 0.9 * -0.05 - 0.05 = -0.095, w = 0.855
  EXPECT_NEAR(params[0].value[0], 0.855f, 1e-6);
}

TEST(Loss, BinaryCrossEntropyIsStableAndItsGradientExact) {
  cnngen::Buffer z(1, 4), dz(1, 4);
  const float logits[4] = {100.0f, -100.0f, 0.3f, -2.0f};
  const int labels[4] = {1, 1, 0, 0};
  for (int i = 0; i < 4; ++i) z(0, i) = logits[i];
  const cnngen::LossResult r = cnngen::loss_and_gradient(cnngen::LossKind::binary_crossentropy, z, labels, &dz);
  // Per sample: -log p for label 1, -log(1 - p) for label 0, p = sigmoid(z); a logit of -100 with
  // label 1 costs 100, which a naive log(sigmoid) would turn into infinity.
  const double want = (std::log1p(std::exp(-100.0)) + 100.0 + (0.3 + std::log1p(std::exp(-0.3))) + std::log1p(std::exp(-2.0))) / 4;
  EXPECT_NEAR(r.loss, want, 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(dz(0, i), (1 / (1 + std::exp(-double(logits[i]))) - labels[i]) / 4, 1e-7);
  EXPECT_EQ(r.correct, 2);
}

TEST(Loss, CategoricalCrossEntropyMatchesSoftmaxDefinition) {
  cnngen::Buffer z(3, 2), dz(3, 2);
  const float v[2][3] = {{1.0f, 2.0f, 3.0f}, {500.0f, 0.0f, -500.0f}};
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 3; ++c) z(c, i) = v[i][c];
  const int labels[2] = {2, 1};
  const cnngen::LossResult r = cnngen::loss_and_gradient(cnngen::LossKind::categorical_crossentropy, z, labels, &dz);
  const double e = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(r.loss, (-std::log(std::exp(3.0) / e) + 500.0) / 2, 1e-4);
  EXPECT_NEAR(dz(2, 0), (std::exp(3.0) / e - 1) / 2, 1e-7);
  EXPECT_NEAR(dz(1, 1), -0.5, 1e-7);
  EXPECT_EQ(r.correct, 1);
  const int bad[2] = {2, 3};
  EXPECT_THROW(cnngen::loss_and_gradient(cnngen::LossKind::categorical_crossentropy, z, bad, nullptr), std::invalid_argument);
}

TEST(Summary, HappyModelPrintsTheCoursesTable) {
  const std::string course =
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #   \n"
      "=================================================================\n"
      "input_1 (InputLayer)         (None, 64, 64, 3)         0         \n"
      "_________________________________________________________________\n"
      "zero_padding2d_1 (ZeroPaddin (None, 70, 70, 3)         0         \n"
      "_________________________________________________________________\n"
      "conv0 (Conv2D)               (None, 64, 64, 32)        4736      \n"
      "_________________________________________________________________\n"
      "bn0 (BatchNormalization)     (None, 64, 64, 32)        128       \n"
      "_________________________________________________________________\n"
      "activation_1 (Activation)    (None, 64, 64, 32)        0         \n"
      "_________________________________________________________________\n"
      "max_pool (MaxPooling2D)      (None, 32, 32, 32)        0         \n"
      "_________________________________________________________________\n"
      "flatten_1 (Flatten)          (None, 32768)             0         \n"
      "_________________________________________________________________\n"
      "fc (Dense)                   (None, 1)                 32769     \n"
      "=================================================================\n"
      "Total params: 37,633\n"
      "Trainable params: 37,569\n"
      "Non-trainable params: 64\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(cnngen::summary(happy_model::model), course);
}

TEST(Summary, GraphsGetAConnectedToColumnWithEveryInputOfAnAdd) {
  const std::string s = cnngen::summary(zoo::residual);
  EXPECT_NE(s.find("Connected to"), std::string::npos);
  EXPECT_NE(s.find("add_1 (Add)                      (None, 3, 3, 8)       0           batch_normalization_4[0][0]"),
            std::string::npos) << s;
  EXPECT_NE(s.find("\n                                                                   max_pooling2d_1[0][0]"), std::string::npos) << s;
  EXPECT_EQ(cnngen::thousands(23600006), "23,600,006");
  EXPECT_EQ(cnngen::thousands(64), "64");
}

TEST(ProgressBar, FinalLineAsKeras) {
  std::ostringstream out;
  cnngen::ProgressBar bar(600, out, false);
  bar.update(300, {{"loss", 1.0}});  // not a terminal: nothing until the end
  bar.finish({{"loss", 0.10234}, {"acc", 0.965}});
  EXPECT_EQ(out.str(), "600/600 [==============================] - 0s - loss: 0.1023 - acc: 0.9650\n");
  std::ostringstream live;
  cnngen::ProgressBar tty(40, live, true);
  tty.update(8, {});
  EXPECT_EQ(live.str().substr(0, 45), "\r 8/40 [=====>........................] - ETA");
}

}  // namespace

namespace {

// A small data set of ZooGlobal's input shape, four classes.
cnngen::Dataset global_data() {
  cnngen::Dataset d;
  d.n = 10, d.h = 7, d.w = 5, d.c = 6;
  d.x.resize(size_t(d.n) * d.sample_size());
  for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = 0.5f + 0.5f * std::sin(0.37f * float(i));
  for (int i = 0; i < d.n; ++i) d.y.push_back(i % 4);
  return d;
}

cnngen::Model dropout_model() {
  cnngen::Model m(zoo::global, cnngen::generated::zoo());
  m.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  return m;
}

// Dropout's masks depend on (seed, epoch, sample) only: a training stopped after an epoch, saved
// and resumed ends with the same weights, bit for bit, as one that ran straight through.
TEST(Dropout, AResumedTrainingEndsAsAnUninterruptedOne) {
  const cnngen::Dataset data = global_data();
  cnngen::FitOptions o;
  o.epochs = 3, o.batch_size = 4, o.seed = 5, o.verbose = false;
  o.shuffle = false;  // so that the seed draws nothing but the masks
  cnngen::Model straight = dropout_model();
  straight.fit(data, o);

  cnngen::Model first = dropout_model();
  cnngen::FitOptions part = o;
  part.epochs = 1;
  first.fit(data, part);
  const std::string path = temp_path("dropout.ckpt");
  cnngen::save_checkpoint(path, first.network(), first.optimizer(), {1});
  cnngen::Model resumed = dropout_model();
  cnngen::FitOptions rest = o;
  rest.initial_epoch = cnngen::load_checkpoint(path, resumed.network(), resumed.optimizer()).epochs_done;
  resumed.fit(data, rest);
  fs::remove(path);

  const auto& want = straight.network().parameters();
  const auto& got = resumed.network().parameters();
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(want[i].value, got[i].value) << want[i].name;

  // And the masks matter: another seed, which changes nothing else here, ends elsewhere.
  cnngen::Model other = dropout_model();
  cnngen::FitOptions o2 = o;
  o2.seed = 6;
  other.fit(data, o2);
  EXPECT_NE(other.network().parameters()[0].value, want[0].value);
}

}  // namespace
