// build/bin/lenet5: the course's LeNet-5, generated and trained on Fashion-MNIST (Debian's
// dataset-fashion-mnist: 60,000 training and 10,000 test images of ten kinds of clothing).
#include <cnngen/cli.hpp>

#include <lenet5.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "lenet5",
      .graph = lenet5::model,
      .kernels = cnngen::generated::lenet5(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .data = cnngen::Program::Data::idx,
      .default_data = "/usr/share/datasets/fashion-mnist",
      .data_classes = 10,
      .task = "Fashion-MNIST: ten kinds of clothing, 28x28 grey images centred in 32x32.",
      // Adam at batch 64 for 10 epochs ends at 89.2%; 20 epochs at batch 32 with a cosine decay pass
      // 90% from epoch 13 (RESULTS.md).
      .epochs = 20,
      .batch_size = 32,
      .cosine_decay = true,
  });
}
