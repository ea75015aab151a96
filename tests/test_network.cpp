// Whole generated networks: forward against the reference network (tests/reference_network.cpp)
// in training and inference mode; backward (every parameter's and the input's gradient, through
// residual fan-out, Flatten and the fused heads) against central differences of the loss.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <happy_model.hpp>
#include <zoo.hpp>

#include <cnngen/loss.hpp>
#include <cnngen/model.hpp>
#include <cnngen/network.hpp>
#include <cnngen/optimizer.hpp>
#include <cnngen/summary.hpp>

#include "harness.hpp"
#include "reference_network.hpp"
#include "zoo.hpp"

namespace {

using namespace harness;
using cnngen::LossKind;
using cnngen::Network;

struct Model {
  const char* label;
  cnngen::GraphView graph;
};

const Model kModels[] = {{"odd", zoo::odd}, {"activations", zoo::activations}, {"heads", zoo::heads}, {"global", zoo::global}, {"branches", zoo::branches}, {"auxiliary", zoo::auxiliary}, {"residual", zoo::residual},
                         {"blocks", zoo::blocks}, {"stage2", zoo::stage2}, {"stage45", zoo::stage45}};

LossKind loss_of(const Network& net) {
  return net.classes() == 1 ? LossKind::binary_crossentropy : LossKind::categorical_crossentropy;
}

std::vector<int> labels(const Network& net, int n) {
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) y[i] = i % std::max(2, net.classes()) % (net.classes() == 1 ? 2 : net.classes());
  return y;
}

void PrintTo(const Model& m, std::ostream* os) { *os << m.graph.name; }

class WholeNetwork : public testing::TestWithParam<Model> {};

TEST_P(WholeNetwork, ForwardMatchesReferenceInTrainingAndInference) {
  Network net(GetParam().graph, cnngen::generated::zoo());
  net.initialize(7);
  std::mt19937 rng(3);
  // Moving statistics away from their initial 0 and 1, so that inference mode is really exercised.
  for (cnngen::Parameter& p : net.parameters())
    if (!p.trainable)
      for (float& v : p.value) v = p.name.ends_with("variance") ? 0.5f + float(rng() % 100) / 100 : float(rng() % 100) / 100 - 0.5f;
  for (int n : {1, 2, 5, 9}) {  // 9: small images tile across 7 images (a partial last tile)
    const Vec x = random_vec(size_t(n) * net.graph().input_shape().size(), rng);
    const Vec want_infer = ref::network_logits(net, x, n, false);
    EXPECT_CLOSE(vec(net.forward(x.data(), n, false)), want_infer, "inference, batch " << n);
    // Before forward(training) moves the statistics; a training forward computes every output.
    const std::vector<Vec> want_train = ref::network_head_logits(net, x, n, true);
    net.forward(x.data(), n, true);
    for (size_t h = 0; h < want_train.size(); ++h)
      EXPECT_CLOSE(vec(net.logits(static_cast<int>(h))), want_train[h], "training, batch " << n << ", output " << h);
  }
}

// Inference keeps its convolutions' weights blocked between batches (the Conv2D step's inference, runtime/src/layers/conv2d.cpp):
// a change of the weights, through parameters() or an optimizer step, must reach the next batch.
TEST_P(WholeNetwork, InferenceFollowsChangedWeights) {
  cnngen::Model model(GetParam().graph, cnngen::generated::zoo());
  model.compile(std::make_unique<cnngen::Adam>(0.05), loss_of(model.network()));
  Network& net = model.network();
  std::mt19937 rng(9);
  const int n = 3;
  const Vec x = random_vec(size_t(n) * net.graph().input_shape().size(), rng);
  const Vec before = vec(net.forward(x.data(), n, false));
  for (cnngen::Parameter& p : net.parameters())
    if (p.name.ends_with("/kernel"))
      for (float& v : p.value) v *= -0.5f;
  const Vec scaled = vec(net.forward(x.data(), n, false));
  EXPECT_CLOSE(scaled, ref::network_logits(net, x, n, false), "after writing the weights");
  EXPECT_GT(harness::relative_error(scaled, before), 1e-3) << "the weights' change did not show";
  model.train_on_batch(x.data(), labels(net, n), n);
  EXPECT_CLOSE(vec(net.forward(x.data(), n, false)), ref::network_logits(net, x, n, false), "after an optimizer step");
  // Inference leaves out the tensors backward reads (the fused BatchNorms' inputs): backward says so.
  cnngen::Buffer d_logits(net.classes(), n);
  EXPECT_THROW(net.backward(d_logits), std::logic_error);
}

// The same random draws (Dropout's masks) in every forward of a finite difference.
void fixed_seeds(Network& net, int n) {
  std::vector<uint32_t> seeds(n);
  for (int i = 0; i < n; ++i) seeds[i] = 100 + i;
  net.set_sample_seeds(seeds);
}

// The loss of a batch in training mode, from the generated forward pass.
double loss_at(Network& net, const Vec& x, int n, const std::vector<int>& y) {
  fixed_seeds(net, n);
  net.forward(x.data(), n, true);
  return cnngen::model_loss(loss_of(net), net, y, nullptr).loss;  // auxiliary outputs' weighted in
}

TEST_P(WholeNetwork, BackwardMatchesFiniteDifferencesOfTheLoss) {
  Network net(GetParam().graph, cnngen::generated::zoo());
  net.initialize(11);
  const int n = 3;
  std::mt19937 rng(5);
  Vec x = random_vec(size_t(n) * net.graph().input_shape().size(), rng);
  const std::vector<int> y = labels(net, n);

  fixed_seeds(net, n);
  net.forward(x.data(), n, true);
  std::vector<cnngen::Buffer> d_logits;
  cnngen::model_loss(loss_of(net), net, y, &d_logits);
  net.backward(d_logits, /*input_gradient=*/true);
  const Vec d_x = vec(net.input_gradient());

  // A step of 1e-3: 1e-2 moved early layers enough to flip max-pool windows and ReLUs (measured on
  // ZooOdd: 20% apparent errors that vanish at 1e-3), while float noise stays near 1e-4. Where a
  // difference still crosses a kink (ZooPadded's first convolution and BatchNorm feed 12600 ReLUs:
  // a weight and an offset measured 5-6% off at 1e-3, within 1% at 3e-4 and 1e-4), a quarter of the
  // step decides; a wrong gradient fails at both.
  const auto difference = [&](float& v, float v0, float h) {
    v = v0 + h;
    const double up = loss_at(net, x, n, y);
    v = v0 - h;
    const double down = loss_at(net, x, n, y);
    v = v0;
    return (up - down) / (2.0 * h);
  };
  const auto check = [&](const std::string& what, float& v, double analytic) {
    const float v0 = v, h = 1e-3f * std::max(1.0f, std::abs(v0));
    const auto tolerance = [](double fd) { return 3e-3 + 3e-2 * std::abs(fd); };
    const double fd = difference(v, v0, h);
    if (std::abs(fd - analytic) <= tolerance(fd)) return;
    const double fd_small = difference(v, v0, h / 4);
    EXPECT_NEAR(fd_small, analytic, tolerance(fd_small)) << what << " (and " << fd << " at four times the step)";
  };
  for (cnngen::Parameter& p : net.parameters()) {
    if (!p.trainable) continue;
    const Vec grad(p.grad.begin(), p.grad.end());
    for (int t = 0; t < 3; ++t) {
      const size_t i = rng() % p.value.size();
      check(p.name + "[" + std::to_string(i) + "]", p.value[i], grad[i]);
    }
  }
  for (int t = 0; t < 5; ++t) {
    const size_t i = rng() % x.size();
    check("input[" + std::to_string(i) + "]", x[i], d_x[i]);
  }
}

TEST_P(WholeNetwork, TrainingUpdatesMovingStatisticsAsKeras) {
  Network net(GetParam().graph, cnngen::generated::zoo());
  const int n = 4;
  std::mt19937 rng(9);
  const Vec x = random_vec(size_t(n) * net.graph().input_shape().size(), rng, 0.0f, 2.0f);
  net.forward(x.data(), n, true);
  // From mean 0 and variance 1, one step with momentum 0.99 gives 0.01 * batch mean and
  // 0.99 + 0.01 * unbiased batch variance: neither can stay at its initial value.
  for (const cnngen::Parameter& p : net.parameters()) {
    if (p.trainable) continue;
    const float initial = p.name.ends_with("variance") ? 1.0f : 0.0f;
    bool moved = false;
    for (float v : p.value) moved |= v != initial;
    EXPECT_TRUE(moved) << p.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, WholeNetwork, testing::ValuesIn(kModels),
                         [](const testing::TestParamInfo<Model>& i) { return std::string(i.param.label); });

// Keras's loss_weights: the loss trained is the main output's plus 0.3 times the auxiliary's, each
// from the reference network's logits; inference computes the main output alone.
TEST(AuxiliaryOutputs, LossIsWeightedAndInferenceLeavesThemOut) {
  cnngen::Model model(zoo::auxiliary, cnngen::generated::zoo());
  model.compile(std::make_unique<cnngen::Adam>(1e-3), LossKind::categorical_crossentropy);
  Network& net = model.network();
  ASSERT_EQ(net.heads().size(), 2u);
  EXPECT_EQ(net.graph().nodes[net.heads()[1].node].name.view(), "aux_predictions");
  EXPECT_EQ(net.heads()[1].loss_weight, 0.3f);
  const int n = 4;
  std::mt19937 rng(2);
  const Vec x = random_vec(size_t(n) * net.graph().input_shape().size(), rng);
  const std::vector<int> y = labels(net, n);
  const std::vector<Vec> want = ref::network_head_logits(net, x, n, true);
  const auto loss_of_logits = [&](const Vec& logits) {
    return cnngen::loss_and_gradient(LossKind::categorical_crossentropy, harness::buffer(logits, {net.classes(), n}), y, nullptr).loss;
  };
  net.forward(x.data(), n, true);
  const cnngen::ModelLoss got = cnngen::model_loss(LossKind::categorical_crossentropy, net, y, nullptr);
  ASSERT_EQ(got.heads.size(), 2u);
  EXPECT_NEAR(got.loss, loss_of_logits(want[0]) + 0.3 * loss_of_logits(want[1]), 1e-4);
  EXPECT_NEAR(got.heads[1].loss, loss_of_logits(want[1]), 1e-4);

  net.forward(x.data(), n, false);
  EXPECT_THROW(net.logits(1), std::logic_error);
  EXPECT_EQ(cnngen::model_loss(LossKind::categorical_crossentropy, net, y, nullptr).heads.size(), 1u);
  // The auxiliary head's layers are counted as Keras counts a model's layers, and not run at inference.
  const cnngen::GraphView g(zoo::auxiliary);
  for (const cnngen::Node& node : g.nodes) {
    const bool aux = node.name.view().starts_with("aux_");
    EXPECT_TRUE(node.reaches_output) << node.name.view();
    EXPECT_EQ(node.used_at_inference, !aux) << node.name.view();
  }
  long long all = 0;
  for (const cnngen::Node& node : g.nodes) all += cnngen::kind_of(node.op).params(node);
  EXPECT_EQ(zoo::auxiliary.total_params(), all);
  EXPECT_NE(cnngen::summary(g).find("aux_predictions (Activation)"), std::string::npos);
}

TEST(Network, RejectsAKernelTableOfAnotherModel) {
  try {
    Network net(zoo::odd, cnngen::generated::happy_model());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("has no kernel"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

TEST(Blocks, HaveTheCoursesNamesAndStrides) {
  const cnngen::GraphView g(zoo::blocks);
  std::vector<std::string> names;
  for (const cnngen::Node& n : g.nodes) names.push_back(std::string(n.name.view()));
  for (const char* want : {"res2a_branch2a", "bn2a_branch2a", "res2a_branch2b", "bn2a_branch2b", "res2a_branch2c",
                           "bn2a_branch2c", "res2a_branch1", "bn2a_branch1", "res2b_branch2a", "bn2b_branch2c"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const cnngen::Node& n : g.nodes) {
    const std::string name(n.name.view());
    if (n.op != cnngen::Op::conv2d) continue;
    const bool strided = name == "res2a_branch2a" || name == "res2a_branch1";
    EXPECT_EQ(n.strides.h, strided ? 2 : 1) << name;
  }
}

}  // namespace
