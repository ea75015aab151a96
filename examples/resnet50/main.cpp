// build/bin/resnet50: the course's ResNet50, generated and trained on the six SIGNS classes.
#include <cnngen/cli.hpp>

#include <resnet50.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "resnet50",
      .graph = resnet50::model,
      .kernels = cnngen::generated::resnet50(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .default_data = CNNGEN_SIGNS_DIR,
      .data_classes = 6,
      .task = "SIGNS: six classes, hands showing 0 to 5 fingers.",
      .epochs = 30,
      .batch_size = 32,
      // Plain Adam ends near 87% here, as in PyTorch: BatchNorm's moving statistics lag the weights.
      // Re-estimating them, cosine decay and augmentation are what take it past 95% (RESULTS.md).
      .augment = "on",
      .cosine_decay = true,
      .estimate_batch_norm = true,
  });
}
