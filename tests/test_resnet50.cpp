// The generated ResNet50 whole: its forward pass against the reference network at batch 2 (both
// BatchNorm modes), its summary as the course prints it, and a training step that lowers the loss.
#include <gtest/gtest.h>

#include <random>
#include <resnet50.hpp>

#include <cnngen/loss.hpp>
#include <cnngen/model.hpp>
#include <cnngen/summary.hpp>

#include "../examples/resnet50/model.hpp"
#include "harness.hpp"
#include "reference_network.hpp"

namespace {

using harness::Vec;

TEST(ResNet50, ForwardMatchesTheReferenceNetworkAtBatch2) {
  cnngen::Network net(resnet50::model, cnngen::generated::resnet50());
  net.initialize(0);
  std::mt19937 rng(1);
  for (cnngen::Parameter& p : net.parameters())
    if (!p.trainable)
      for (float& v : p.value) v = p.name.ends_with("variance") ? 0.5f + float(rng() % 100) / 100 : float(rng() % 100) / 200;
  const Vec x = harness::random_vec(2 * 64 * 64 * 3, rng, 0.0f, 1.0f);
  EXPECT_CLOSE(harness::vec(net.forward(x.data(), 2, false)), ref::network_logits(net, x, 2, false), "inference");
  const Vec want = ref::network_logits(net, x, 2, true);
  EXPECT_CLOSE(harness::vec(net.forward(x.data(), 2, true)), want, "training");
}

TEST(ResNet50, SummaryAsTheCourse) {
  const std::string s = cnngen::summary(resnet50::model);
  for (const char* line : {
           "conv1 (Conv2D)                   (None, 32, 32, 64)    9472        zero_padding2d_1[0][0]           \n",
           "max_pooling2d_1 (MaxPooling2D)   (None, 15, 15, 64)    0           activation_1[0][0]               \n",
           "res2a_branch1 (Conv2D)           (None, 15, 15, 256)   16640       max_pooling2d_1[0][0]            \n",
           "add_1 (Add)                      (None, 15, 15, 256)   0           bn2a_branch2c[0][0]              \n"
           "                                                                   bn2a_branch1[0][0]               \n",
           "average_pooling2d_1 (AveragePool (None, 1, 1, 2048)    0           activation_49[0][0]              \n",
           "fc6 (Dense)                      (None, 6)             12294       flatten_1[0][0]                  \n",
           "Total params: 23,600,006\nTrainable params: 23,546,886\nNon-trainable params: 53,120\n"})
    EXPECT_NE(s.find(line), std::string::npos) << "missing:\n" << line;
  // The course lists the main path's 2c convolution, then the shortcut's, then their BatchNorms.
  EXPECT_LT(s.find("res2a_branch2c (Conv2D)"), s.find("res2a_branch1 (Conv2D)"));
  EXPECT_LT(s.find("res2a_branch1 (Conv2D)"), s.find("bn2a_branch2c (BatchNormalizatio"));
}

TEST(ResNet50, TrainingStepsLowerTheLossOfABatch) {
  cnngen::Model model(resnet50::model, cnngen::generated::resnet50());
  model.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  std::mt19937 rng(2);
  const Vec x = harness::random_vec(4 * 64 * 64 * 3, rng, 0.0f, 1.0f);
  const std::vector<int> y{0, 3, 5, 1};
  const double first = model.train_on_batch(x.data(), y, 4).loss;
  double last = first;
  for (int i = 0; i < 5; ++i) last = model.train_on_batch(x.data(), y, 4).loss;
  EXPECT_LT(last, first);
}

}  // namespace
