// build/bin/alexnet: the course's AlexNet, generated; train and evaluate take a folder of 227x227
// images named {label}_IMG_{id}.jpg with labels 0 to 999 (none ships here: its summary and the
// tests' forward and backward passes are what runs).
#include <cnngen/cli.hpp>

#include <alexnet.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "alexnet",
      .graph = alexnet::model,
      .kernels = cnngen::generated::alexnet(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .default_data = CNNGEN_SIGNS_DIR,
      .data_classes = 1000,
      .task = "ImageNet-like: 227x227 RGB images of 1000 classes.",
  });
}
