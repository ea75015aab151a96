// build/bin/resnet50_3class: ResNet50(input_shape=(64, 64, 3), classes=3), for three SIGNS classes
// chosen with --classes: the transfer-learning walk-through of the README trains it from a
// six-class ResNet50's checkpoint (--init-from) with the early stages frozen (--freeze-through).
#include <cnngen/cli.hpp>

#include <resnet50.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "resnet50_3class",
      .graph = resnet50::three_classes,
      .kernels = cnngen::generated::resnet50(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .default_data = CNNGEN_SIGNS_DIR,
      .data_classes = 6,
      .task = "Three of the SIGNS classes, chosen with --classes (e.g. --classes 3,4,5).",
      .epochs = 30,
      .batch_size = 32,
      .augment = "on",
      .cosine_decay = true,
      .estimate_batch_norm = true,
  });
}
