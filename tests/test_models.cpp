// The course's large networks, generated whole: AlexNet's and VGG-16's forward and backward on a
// batch of two random images (training them is not the point: their kernels run, on the shapes
// the course gives, and agree with the naive reference where that is affordable).
#include <gtest/gtest.h>

#include <alexnet.hpp>
#include <cmath>
#include <vgg16.hpp>

#include <cnngen/loss.hpp>
#include <cnngen/model.hpp>

#include "../examples/alexnet/model.hpp"
#include "../examples/vgg16/model.hpp"
#include "harness.hpp"
#include "reference_network.hpp"

namespace {

using harness::Vec;

// One Adam step on two random images: the loss and every gradient finite, some gradient of every
// weight array non-zero, and the loss on the same batch lower after the step.
void train_step(cnngen::Model& model) {
  cnngen::Network& net = model.network();
  model.compile(std::make_unique<cnngen::Adam>(1e-4), cnngen::LossKind::categorical_crossentropy);
  std::mt19937 rng(7);
  const Vec x = harness::random_vec(2 * net.graph().input_shape().size(), rng, 0.0f, 1.0f);
  const std::vector<int> y{3, 411};
  const auto loss = [&] {
    net.set_sample_seeds({1, 2});
    return cnngen::loss_and_gradient(cnngen::LossKind::categorical_crossentropy, net.forward(x.data(), 2, true), y, nullptr).loss;
  };
  const double before = loss();
  net.set_sample_seeds({1, 2});
  const cnngen::ModelLoss r = model.train_on_batch(x.data(), y, 2);
  EXPECT_TRUE(std::isfinite(r.loss));
  for (const cnngen::Parameter& p : net.parameters()) {
    if (!p.trainable) continue;
    bool finite = true, moved = false;
    for (float g : p.grad) finite &= std::isfinite(g), moved |= g != 0;
    EXPECT_TRUE(finite) << p.name;
    EXPECT_TRUE(moved) << p.name;
  }
  EXPECT_LT(loss(), before);
}

TEST(AlexNet, ForwardMatchesTheReferenceAndATrainingStepLearns) {
  cnngen::Model model(alexnet::model, cnngen::generated::alexnet());
  model.network().initialize(5);
  std::mt19937 rng(3);
  const Vec x = harness::random_vec(2 * 227 * 227 * 3, rng, 0.0f, 1.0f);
  EXPECT_CLOSE(harness::vec(model.network().forward(x.data(), 2, false)), ref::network_logits(model.network(), x, 2, false),
               "inference");
  train_step(model);
}

TEST(VGG16, ATrainingStepLearns) {
  cnngen::Model model(vgg16::model, cnngen::generated::vgg16());
  model.network().initialize(5);
  train_step(model);
}

}  // namespace
