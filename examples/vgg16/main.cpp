// build/bin/vgg16: VGG-16, generated; train and evaluate take a folder of 224x224 images named
// {label}_IMG_{id}.jpg with labels 0 to 999 (none ships here: its summary and the tests' forward
// and backward passes are what runs).
#include <cnngen/cli.hpp>

#include <vgg16.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "vgg16",
      .graph = vgg16::model,
      .kernels = cnngen::generated::vgg16(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .default_data = CNNGEN_SIGNS_DIR,
      .data_classes = 1000,
      .task = "ImageNet-like: 224x224 RGB images of 1000 classes.",
  });
}
