// The trainer's parts: checkpoints, optimizers, losses, summary, progress bar.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <happy_model.hpp>
#include <optional>
#include <sstream>
#include <zoo.hpp>

#include <cnngen/checkpoint.hpp>
#include <cnngen/dispatch.hpp>
#include <cnngen/inference.hpp>
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

// Writes a checkpoint field by field in the format save_checkpoint writes, with any field forged,
// and the checksum recomputed as a forger would: only the reader's checks can refuse it.
struct ForgedCheckpoint {
  uint32_t version = 2;
  int64_t setting_count = -1;     // -1: the settings' own count
  std::map<std::string, std::string> settings;
  int64_t iterations = -1;        // -1: the optimizer's
  double learning_rate = 0;       // 0: the optimizer's
  int64_t slot_count = -1;        // -1: the optimizer's
  int short_slot = -1;            // this slot claims and holds one value fewer
  uint64_t slot_size_claim = 0;   // nonzero: the first slot claims this many values
  int32_t epochs = 1;
  std::string trailing;

  std::string bytes;
  template <class T>
  void put(const T& v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void put_string(const std::string& s) { put<uint32_t>(static_cast<uint32_t>(s.size())), bytes += s; }
  template <class Floats>
  void put_floats(const Floats& v, uint64_t claim, size_t holds) {
    put<uint64_t>(claim);
    bytes.append(reinterpret_cast<const char*>(v.data()), holds * sizeof(float));
  }

  std::string write(cnngen::Model& m) {
    bytes = "CNNGENCK";
    put<uint32_t>(version);
    put_string(std::string(m.network().graph().name));
    put<uint32_t>(static_cast<uint32_t>(m.network().parameters().size()));
    for (const cnngen::Parameter& p : m.network().parameters()) {
      put_string(p.name);
      put_floats(p.value, p.value.size(), p.value.size());
    }
    const cnngen::Optimizer& o = *m.optimizer();
    put_string(o.name());
    put<int64_t>(iterations >= 0 ? iterations : o.iterations);
    put<double>(learning_rate != 0 ? learning_rate : o.learning_rate);
    put<uint32_t>(static_cast<uint32_t>(slot_count >= 0 ? slot_count : int64_t(o.slots.size())));
    for (size_t i = 0; i < o.slots.size() && (slot_count < 0 || int64_t(i) < slot_count); ++i) {
      const size_t n = o.slots[i].size() - (int(i) == short_slot ? 1 : 0);
      put_floats(o.slots[i], i == 0 && slot_size_claim ? slot_size_claim : n, n);
    }
    put<int32_t>(epochs);
    if (version >= 2) {
      put<uint32_t>(static_cast<uint32_t>(setting_count >= 0 ? setting_count : int64_t(settings.size())));
      for (const auto& [key, value] : settings) put_string(key), put_string(value);
    }
    bytes += trailing;
    uint64_t h = 1469598103934665603ull;
    for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    put<uint64_t>(h);
    return bytes;
  }
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Checkpoint, TheForgerWritesWhatSaveWrites) {
  Trained a;
  const std::string path = temp_path("forger.ckpt");
  cnngen::save_checkpoint(path, a.model.network(), a.model.optimizer(), {1});
  std::ifstream in(path, std::ios::binary);
  const std::string saved((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(ForgedCheckpoint{}.write(a.model), saved) << "the tests below forge another format than the reader's";
  fs::remove(path);
}

// A checkpoint of the first format (no training settings) still loads: nothing a user saved is lost.
TEST(Checkpoint, VersionOneStillLoads) {
  Trained a;
  const std::string path = temp_path("version1.ckpt");
  write_file(path, ForgedCheckpoint{.version = 1}.write(a.model));
  cnngen::Model b(zoo::odd, cnngen::generated::zoo());
  b.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  const cnngen::TrainingProgress p = cnngen::load_checkpoint(path, b.network(), b.optimizer());
  EXPECT_EQ(p.epochs_done, 1);
  EXPECT_TRUE(p.settings.empty());
  EXPECT_EQ(b.network().parameters()[0].value, a.model.network().parameters()[0].value);
  fs::remove(path);
}

// The training's settings come back as they were saved.
TEST(Checkpoint, SettingsRoundTrip) {
  Trained a;
  const std::string path = temp_path("settings.ckpt");
  const std::map<std::string, std::string> settings{{"augment", "mirror,crop=4,pca=0.1"}, {"pca", "1 2 3 1 0 0 0 1 0 0 0 1"}};
  cnngen::save_checkpoint(path, a.model.network(), a.model.optimizer(), {3, settings});
  cnngen::Model b(zoo::odd, cnngen::generated::zoo());
  b.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  EXPECT_EQ(cnngen::load_checkpoint(path, b.network(), b.optimizer()).settings, settings);
  fs::remove(path);
}

// Each forged field, checksum and all, is refused with its name before anything is read into the
// optimizer or the network (under AddressSanitizer these ran past the slots before).
TEST(Checkpoint, ForgedFieldsAreRefusedByName) {
  Trained a;
  const std::string path = temp_path("forged.ckpt");
  const auto refused = [&](ForgedCheckpoint f, const std::string& says) {
    write_file(path, f.write(a.model));
    cnngen::Model b(zoo::odd, cnngen::generated::zoo());
    b.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
    const auto before = b.network().parameters()[0].value;
    expect_checkpoint_error([&] { cnngen::load_checkpoint(path, b.network(), b.optimizer()); }, says);
    EXPECT_EQ(b.network().parameters()[0].value, before) << says;
    EXPECT_TRUE(b.optimizer()->slots.empty()) << says;
    // Inference reads the same checks.
    expect_checkpoint_error([&] { cnngen::load_checkpoint(path, b.network(), nullptr); }, says);
  };
  refused({.version = 3}, "checkpoint format version 3, this build reads 1 to 2");
  refused({.version = 0}, "checkpoint format version 0");
  refused({.setting_count = 100000}, "setting count 100000 is more than 64");
  refused({.setting_count = 2, .settings = {{"augment", "mirror"}}}, "truncated checkpoint (setting name)");
  refused({.settings = {{"augment", std::string(5000, 'x')}}}, "a training setting longer than 4096 bytes");
  refused({.slot_count = 3}, "optimizer slot count 3, adam keeps");
  refused({.slot_count = 1000000}, "optimizer slot count 1000000");
  refused({.short_slot = 2}, "optimizer slot 2 holds");
  refused({.slot_size_claim = 1ull << 62}, "optimizer slot 0 holds 4611686018427387904 values");
  refused({.slot_size_claim = ~0ull / 2}, "optimizer slot 0 holds");
  refused({.iterations = 0}, "optimizer iterations 0 with");
  refused({.iterations = int64_t{1} << 60}, "optimizer iterations");
  refused({.learning_rate = INFINITY}, "learning rate inf is not a positive finite number");
  refused({.learning_rate = -1e-3}, "learning rate -0.001");
  refused({.learning_rate = NAN}, "learning rate nan");
  refused({.epochs = -3}, "epochs done -3 is negative");
  refused({.trailing = "xx"}, "2 bytes after the last field");
  fs::remove(path);
}

TEST(Checkpoint, AnotherOptimizersStateIsRefused) {
  cnngen::Model a(zoo::odd, cnngen::generated::zoo());
  a.compile(std::make_unique<cnngen::SGD>(0.01, 0.9), cnngen::LossKind::categorical_crossentropy);
  std::vector<float> x(4 * 11 * 9 * 3, 0.5f);
  const std::vector<int> y{0, 1, 2, 1};
  a.train_on_batch(x.data(), y, 4);
  const std::string path = temp_path("sgd.ckpt");
  cnngen::save_checkpoint(path, a.network(), a.optimizer(), {1});
  cnngen::Model b(zoo::odd, cnngen::generated::zoo());
  b.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  expect_checkpoint_error([&] { cnngen::load_checkpoint(path, b.network(), b.optimizer()); },
                          "optimizer state of sgd, the training uses adam");
  cnngen::load_checkpoint(path, b.network(), nullptr);  // its weights serve inference
  fs::remove(path);
}

TEST(Checkpoint, OnlyARegularFileOfACheckpointsSizeIsRead) {
  cnngen::Model b(zoo::odd, cnngen::generated::zoo());
  expect_checkpoint_error([&] { cnngen::load_checkpoint("/dev/zero", b.network(), nullptr); }, "/dev/zero: not a regular file");
  const std::string dir = temp_path("folder.ckpt");
  fs::create_directory(dir);
  expect_checkpoint_error([&] { cnngen::load_checkpoint(dir, b.network(), nullptr); }, "is a folder, not a checkpoint");
  fs::remove(dir);
  const std::string fifo = temp_path("fifo.ckpt");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_checkpoint_error([&] { cnngen::load_checkpoint(fifo, b.network(), nullptr); }, "not a regular file");  // no hang
  fs::remove(fifo);
  const std::string big = temp_path("big.ckpt");
  { std::ofstream(big, std::ios::binary).seekp(64 << 20) << 'x'; }  // sparse: 64 MB claimed, none stored
  expect_checkpoint_error([&] { cnngen::load_checkpoint(big, b.network(), nullptr); }, "more than any checkpoint of this model");
  fs::remove(big);
}

TEST(Checkpoint, AnOptimizerStepRefusesSlotsThatDoNotMatch) {
  Trained a;
  a.model.optimizer()->slots.pop_back();
  std::vector<float> x(4 * 11 * 9 * 3, 0.5f);
  const std::vector<int> y{0, 1, 2, 1};
  EXPECT_THROW(a.model.train_on_batch(x.data(), y, 4), std::logic_error);
}

// SIGTERM at a random moment of a process that does nothing but write checkpoints (each write is
// mostly its fsync, so the signal lands inside one nearly every time): with the CheckpointLock held,
// no temporary or lock file is ever left and the checkpoint loads. Without it, the same signals
// leave temporary files: the control that shows the test reaches the writes.
// ThreadSanitizer defers signals to its own safe points and does not support fork in a threaded
// process: these tests of signals and forked writers run in the plain and ASan builds only.
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "signals and fork under ThreadSanitizer"
#else
#define SKIP_UNDER_TSAN() (void)0
#endif

int signalled_writes(Trained& a, const std::string& path, bool locked, int trials) {
  int leftovers = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const pid_t child = ::fork();
    if (child == 0) {
      try {
        std::optional<cnngen::CheckpointLock> lock;
        if (locked) lock.emplace(path);
        for (;;) cnngen::save_checkpoint(path, a.model.network(), nullptr, {trial});
      } catch (...) {
        ::_exit(3);  // never back into the test runner
      }
    }
    ::usleep(20000 + 3700 * trial);
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "status " << status;
    leftovers += fs::exists(path + ".tmp");
    fs::remove(path + ".tmp");
    EXPECT_FALSE(fs::exists(path + ".lock"));
    cnngen::Model b(zoo::odd, cnngen::generated::zoo());
    EXPECT_NO_THROW(cnngen::load_checkpoint(path, b.network(), nullptr));
  }
  return leftovers;
}

TEST(CheckpointLock, SigtermDuringACheckpointWriteLeavesNoTemporaryFile) {
  SKIP_UNDER_TSAN();
  Trained a;
  const std::string path = temp_path("signalled.ckpt");
  cnngen::save_checkpoint(path, a.model.network(), nullptr, {0});
  EXPECT_EQ(signalled_writes(a, path, true, 8), 0);
  EXPECT_GT(signalled_writes(a, path, false, 8), 0) << "no signal landed inside a write: the test proves nothing";
  fs::remove(path);
}

TEST(CheckpointLock, ASecondLockOnOnePathIsRefusedNamingTheHolder) {
  SKIP_UNDER_TSAN();
  const std::string path = temp_path("locked.ckpt");
  const pid_t child = ::fork();
  if (child == 0) {
    try {
      cnngen::CheckpointLock lock(path);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(3);
    }
  }
  for (int i = 0; i < 200 && !fs::exists(path + ".lock"); ++i) ::usleep(10000);
  ::usleep(50000);  // past the pid's write
  try {
    cnngen::CheckpointLock second(path);
    ADD_FAILURE() << "a second lock was granted";
  } catch (const cnngen::CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another training (process " + std::to_string(child)), std::string::npos)
        << e.what();
  }
  ::kill(child, SIGTERM);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(fs::exists(path + ".lock")) << "SIGTERM left the lock file";
  { cnngen::CheckpointLock now_free(path); }
  EXPECT_FALSE(fs::exists(path + ".lock"));
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

// n samples of h x w x c, a sine of the value's index at `step` radians per value; labels cycle
// through `classes`.
cnngen::Dataset wave_data(int n, int h, int w, int c, int classes, float step) {
  cnngen::Dataset d;
  d.n = n, d.h = h, d.w = w, d.c = c;
  d.x.resize(size_t(d.n) * d.sample_size());
  for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = 0.5f + 0.5f * std::sin(step * float(i));
  for (int i = 0; i < d.n; ++i) d.y.push_back(i % classes);
  return d;
}

// A small data set of ZooGlobal's input shape, four classes.
cnngen::Dataset global_data() { return wave_data(10, 7, 5, 6, 4, 0.37f); }

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

namespace {

// Sets an environment variable for a scope, then puts back what was there (the suite runs this
// program under CNNGEN_MAX_ISA too).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

// The table hands out the variant CNNGEN_MAX_ISA allows (every ISA at or below what this CPU runs),
// a distinct function per ISA.
TEST(Dispatch, TheTableHandsOutTheVariantOfTheIsaAllowed) {
  const cnngen::KernelTable& table = cnngen::generated::happy_model();
  ASSERT_EQ(table.isas, cnngen::kAllIsas & table.isas);
  const std::string name = table.entries[0].name;
  for (const cnngen::IsaInfo& i : cnngen::kIsas) {
    if (!(table.isas & cnngen::isa_bit(i.isa)) || i.isa > cnngen::cpu_isa()) continue;
    const ScopedEnv env("CNNGEN_MAX_ISA", std::string(i.name).c_str());
    EXPECT_EQ(table.isa(), i.isa);
    EXPECT_EQ(table.find(name), table.entries[0].fn[static_cast<int>(i.isa)]) << i.name;
    EXPECT_NE(table.find(name), nullptr) << i.name;
    EXPECT_NE(cnngen::isa_report(table.isas, table.library).find("Kernels: " + std::string(i.name) + ","), std::string::npos);
  }
}

TEST(Dispatch, ATableWithoutAVariantThisProcessRunsIsRefusedSayingWhatToBuild) {
  const ScopedEnv env("CNNGEN_MAX_ISA", "sse41");
  try {
    cnngen::select_isa(cnngen::isa_bit(cnngen::Isa::avx512) | cnngen::isa_bit(cnngen::Isa::avx2), "my_net");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "the kernels of 'my_net' were generated for avx2, avx512 only, and CNNGEN_MAX_ISA allows at most "
                 "sse41: build with CNNGEN_TARGETS including sse41");
  }
}

TEST(Dispatch, AnUnknownMaxIsaIsRefusedByName) {
  const ScopedEnv env("CNNGEN_MAX_ISA", "avx1024");
  EXPECT_THROW(
      {
        try {
          cnngen::max_isa_setting();
        } catch (const std::invalid_argument& e) {
          EXPECT_STREQ(e.what(), "CNNGEN_MAX_ISA='avx1024': expected one of sse41, avx2, avx512");
          throw;
        }
      },
      std::invalid_argument);
}

namespace {

// The input pipeline inside fit: every augmentation that applies to ZooGlobal's six channels, drawn
// per (seed, epoch, sample), made by 1, 2 or 3 producer threads: the same weights bit for bit.
cnngen::FitOptions augmented(int producers) {
  cnngen::FitOptions o;
  o.epochs = 3, o.batch_size = 4, o.seed = 11, o.verbose = false, o.producers = producers;
  o.augmentation = cnngen::parse_augmentation("mirror,crop=2,zoom=0.3");
  return o;
}

TEST(InputPipeline, FitTrainsAlikeWithOneTwoAndThreeProducers) {
  const cnngen::Dataset data = global_data();
  cnngen::Model one = dropout_model();
  one.fit(data, augmented(1));
  for (int producers : {2, 3}) {
    cnngen::Model many = dropout_model();
    many.fit(data, augmented(producers));
    for (size_t i = 0; i < one.network().parameters().size(); ++i)
      ASSERT_EQ(many.network().parameters()[i].value, one.network().parameters()[i].value)
          << producers << " producers: " << one.network().parameters()[i].name;
  }
}

TEST(InputPipeline, AnAugmentedTrainingResumesExactly) {
  const cnngen::Dataset data = global_data();
  cnngen::Model straight = dropout_model();
  straight.fit(data, augmented(2));
  cnngen::Model first = dropout_model();
  cnngen::FitOptions part = augmented(3);
  part.epochs = 1;
  first.fit(data, part);
  const std::string path = temp_path("augmented.ckpt");
  cnngen::save_checkpoint(path, first.network(), first.optimizer(), {1});
  cnngen::Model resumed = dropout_model();
  cnngen::FitOptions rest = augmented(1);
  rest.initial_epoch = cnngen::load_checkpoint(path, resumed.network(), resumed.optimizer()).epochs_done;
  resumed.fit(data, rest);
  fs::remove(path);
  for (size_t i = 0; i < straight.network().parameters().size(); ++i)
    ASSERT_EQ(resumed.network().parameters()[i].value, straight.network().parameters()[i].value)
        << straight.network().parameters()[i].name;
}

// The pipeline's trainer waits on it, and says how long: a number, not a guess.
TEST(InputPipeline, FitReportsTheTrainersWait) {
  cnngen::Model m = dropout_model();
  const cnngen::History h = m.fit(global_data(), augmented(2));
  for (const cnngen::EpochLogs& e : h.epochs) {
    EXPECT_GE(e.input_wait_seconds, 0.0);
    EXPECT_LE(e.input_wait_seconds, e.seconds);
  }
}

cnngen::Dataset pooled_data() { return wave_data(9, 8, 6, 3, 3, 0.71f); }

cnngen::Model pooled_model(uint64_t seed) {
  cnngen::Model m(zoo::pooled, cnngen::generated::zoo());
  m.network().initialize(seed);
  m.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  return m;
}

TEST(Inference, AnEnsembleOfOneIsItsMember) {
  const cnngen::Dataset d = global_data();
  cnngen::Model m = dropout_model();
  m.network().initialize(4);
  cnngen::Model* members[] = {&m};
  const std::vector<float> averaged = cnngen::predict_averaged(members, d, {.batch_size = 4});
  EXPECT_EQ(averaged, m.predict(d.x.data(), d.n, 4)) << "bit for bit";
  const cnngen::Evaluation e = m.evaluate(d, 4, false);
  const cnngen::Evaluation s = cnngen::score(averaged, d.y, 4, cnngen::LossKind::categorical_crossentropy);
  EXPECT_EQ(s.accuracy, e.accuracy);
  EXPECT_NEAR(s.loss, e.loss, 1e-6 * e.loss) << "from probabilities, not logits: rounding apart";
}

// Two members' average is the mean of their probabilities, each sample's rows summing to one.
TEST(Inference, AnEnsembleAveragesItsMembers) {
  const cnngen::Dataset d = pooled_data();
  cnngen::Model a = pooled_model(1), b = pooled_model(2);
  cnngen::Model* members[] = {&a, &b};
  const std::vector<float> averaged = cnngen::predict_averaged(members, d, {.batch_size = 4, .producers = 2});
  const std::vector<float> pa = a.predict(d.x.data(), d.n), pb = b.predict(d.x.data(), d.n);
  for (size_t i = 0; i < averaged.size(); ++i) EXPECT_NEAR(averaged[i], (pa[i] + pb[i]) / 2, 1e-6f) << i;
}

// Test-time crops of a model that ignores where things are: the mirror views and the uncropped
// corners predict what the image itself does.
TEST(Inference, MultiCropOfAPositionBlindModelIsTheSingleCrop) {
  const cnngen::Dataset d = pooled_data();
  cnngen::Model m = pooled_model(3);
  cnngen::Model* members[] = {&m};
  const std::vector<float> single = m.predict(d.x.data(), d.n);
  for (const cnngen::TtaCrops crops : {cnngen::TtaCrops::mirror, cnngen::TtaCrops::ten}) {
    const auto views = cnngen::tta_views(crops, {.mirror = true}, d.h, d.w);
    const std::vector<float> multi = cnngen::predict_averaged(members, d, {.batch_size = 3, .views = views});
    ASSERT_EQ(multi.size(), single.size());
    for (size_t i = 0; i < multi.size(); ++i) EXPECT_NEAR(multi[i], single[i], 1e-6f) << cnngen::tta_name(crops) << " " << i;
  }
  // Shifted corners do change what it sees (the zeros that come in): the crops are really taken.
  const auto shifted = cnngen::tta_views(cnngen::TtaCrops::ten, {.crop = 2}, d.h, d.w);
  const std::vector<float> multi = cnngen::predict_averaged(members, d, {.batch_size = 3, .views = shifted});
  EXPECT_NE(multi, single);
}

TEST(Inference, AnEnsembleOfTwoModelsIsRefused) {
  cnngen::Model a = pooled_model(1), b = dropout_model();
  cnngen::Model* members[] = {&a, &b};
  try {
    cnngen::check_ensemble(members);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "ensemble member 2 is a model ZooGlobal unlike member 1's ZooPooled");
  }
}

}  // namespace

namespace {

// ZooResidual's input, six classes.
cnngen::Dataset residual_data() { return wave_data(12, 13, 13, 3, 6, 0.29f); }

cnngen::Model residual_model(const std::string& freeze) {
  cnngen::Model m(zoo::residual, cnngen::generated::zoo());
  m.freeze_through(freeze);
  m.network().initialize(7);
  m.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  return m;
}

cnngen::FitOptions transfer_fit() {
  cnngen::FitOptions o;
  o.epochs = 2, o.batch_size = 4, o.seed = 2, o.verbose = false, o.estimate_batch_norm = true;
  return o;
}

// "activation_4" ends ZooResidual's identity block: everything after it reads it alone.
constexpr const char* kStage = "activation_4";

TEST(Transfer, FrozenLayersKeepTheirWeightsAndStatisticsBitForBit) {
  cnngen::Model m = residual_model(kStage);
  const int cut = m.network().frozen_through();
  ASSERT_GT(cut, 0);
  const std::vector<cnngen::Parameter> before = std::as_const(m.network()).parameters();
  m.fit(residual_data(), transfer_fit());
  const std::vector<cnngen::Parameter>& after = std::as_const(m.network()).parameters();
  int frozen = 0, trained = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i].node <= cut) {
      EXPECT_EQ(after[i].value, before[i].value) << after[i].name << " is frozen";
      EXPECT_FALSE(after[i].trainable);
      ++frozen;
    } else if (after[i].trainable) {
      EXPECT_NE(after[i].value, before[i].value) << after[i].name << " trains";
      ++trained;
    }
  }
  EXPECT_EQ(frozen, 4 * 6) << "four convolutions and four BatchNorms (2 + 4 arrays each)";
  EXPECT_GT(trained, 0);
}

// The frozen part computed once and cached trains the rest as running it every step does.
TEST(Transfer, CachedFeaturesTrainAsTheFrozenPartRunEveryStep) {
  cnngen::Model every_step = residual_model(kStage), cached = residual_model(kStage);
  every_step.fit(residual_data(), transfer_fit());
  cnngen::FitOptions o = transfer_fit();
  o.cache_features = true;
  cached.fit(residual_data(), o);
  EXPECT_FALSE(cached.network().features_input()) << "the model takes images again after fit";
  const auto& a = std::as_const(every_step.network()).parameters();
  const auto& b = std::as_const(cached.network()).parameters();
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < a[i].value.size(); ++k)
      ASSERT_NEAR(b[i].value[k], a[i].value[k], 1e-4f * (1 + std::abs(a[i].value[k]))) << a[i].name << "[" << k << "]";
  EXPECT_EQ(cached.evaluate(residual_data(), 4, false).accuracy, every_step.evaluate(residual_data(), 4, false).accuracy);
}

// Keras counts a frozen layer's weights as non-trainable: the total stays, the trainable count
// loses exactly the frozen weights that were trainable.
TEST(Transfer, SummaryCountsFrozenWeightsAsNonTrainable) {
  const std::string all = residual_model("").summary(), frozen = residual_model(kStage).summary();
  const auto count = [](const std::string& s, const std::string& what) {
    const size_t at = s.find("\n" + what);
    std::string digits;
    for (size_t i = at + what.size() + 1; i < s.size() && s[i] != '\n'; ++i)
      if (std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i];
    return std::stol(digits);
  };
  int64_t frozen_weights = 0;
  cnngen::Model m = residual_model(kStage);
  for (const cnngen::Parameter& p : std::as_const(m.network()).parameters())
    if (p.frozen) frozen_weights += p.size();
  EXPECT_GT(frozen_weights, 0);
  EXPECT_EQ(count(frozen, "Total params: "), count(all, "Total params: "));
  EXPECT_EQ(count(all, "Trainable params: ") - count(frozen, "Trainable params: "), frozen_weights) << frozen;
  EXPECT_EQ(count(frozen, "Non-trainable params: ") - count(all, "Non-trainable params: "), frozen_weights) << frozen;
}

TEST(Transfer, AFreezeThatSplitsAConvolutionFromItsBatchNormIsRefused) {
  cnngen::Model m(zoo::residual, cnngen::generated::zoo());
  try {
    m.freeze_through("conv2d_1");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "freezing through conv2d_1 splits conv2d_1 from batch_normalization_1, which it computes at inference: "
                           "freeze through batch_normalization_1 or stop before conv2d_1");
  }
  EXPECT_THROW(m.freeze_through("no_such_layer"), std::invalid_argument);
}

// Parameters match by name and size: one renamed and one resized in the source are left as they were.
TEST(Transfer, InitFromCopiesExactlyTheMatchingLayers) {
  Trained source;
  std::vector<cnngen::Parameter>& from = source.model.network().parameters();
  from[0].name = "elsewhere/kernel";
  from[1].value.push_back(1.0f);
  const std::string path = temp_path("init.ckpt");
  cnngen::save_checkpoint(path, source.model.network(), nullptr, {1});
  cnngen::Model target(zoo::odd, cnngen::generated::zoo());
  target.network().initialize(99);
  const std::vector<cnngen::Parameter> fresh = std::as_const(target.network()).parameters();
  const cnngen::InitReport r = cnngen::init_from_checkpoint(path, target.network(), true);
  const auto& to = std::as_const(target.network()).parameters();
  EXPECT_EQ(r.copied.size(), to.size() - 2);
  ASSERT_EQ(r.not_copied.size(), 2u);
  EXPECT_EQ(r.not_copied[0], to[0].name + " (not in ZooOdd)");
  EXPECT_EQ(r.not_copied[1], to[1].name + " (" + std::to_string(to[1].size() + 1) + " values there, " + std::to_string(to[1].size()) + " here)");
  EXPECT_EQ(to[0].value, fresh[0].value);
  EXPECT_EQ(to[1].value, fresh[1].value);
  for (size_t i = 2; i < to.size(); ++i) EXPECT_EQ(to[i].value, from[i].value) << to[i].name;
  // Without the outputs, the head is initialised for the new task even where it matches.
  cnngen::Model fresh_head(zoo::odd, cnngen::generated::zoo());
  const cnngen::InitReport h = cnngen::init_from_checkpoint(path, fresh_head.network());
  EXPECT_EQ(h.copied.size(), to.size() - 4);
  EXPECT_EQ(h.not_copied.back(), to.back().name + " (an output layer: initialised for this task)");
  fs::remove(path);
}

TEST(Transfer, InitFromRefusesAFileWhereNothingMatchesOrNoCheckpoint) {
  Trained source;
  const std::string path = temp_path("nothing.ckpt");
  cnngen::save_checkpoint(path, source.model.network(), nullptr, {1});
  cnngen::Model other(zoo::pooled, cnngen::generated::zoo());
  const auto before = std::as_const(other.network()).parameters()[0].value;
  expect_checkpoint_error([&] { cnngen::init_from_checkpoint(path, other.network()); },
                          "no parameter of this ZooOdd checkpoint matches ZooPooled by name and size");
  EXPECT_EQ(std::as_const(other.network()).parameters()[0].value, before);
  write_file(path, "plain text, long enough to be read whole");
  expect_checkpoint_error([&] { cnngen::init_from_checkpoint(path, other.network()); }, "not a cnngen checkpoint (--init-from takes one)");
  fs::remove(path);
}

}  // namespace
