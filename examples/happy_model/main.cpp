// build/bin/happy_model: the course's HappyModel, trained on a binary task built from SIGNS.
// The course's Happy House photos are not available, so "happy" is SIGNS class 5 (an open hand)
// and "not happy" class 0 (a fist): 360 training and 40 test images.
#include <cnngen/cli.hpp>

#include <happy_model.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "happy_model",
      .graph = happy_model::model,
      .kernels = cnngen::generated::happy_model(),
      .loss = cnngen::LossKind::binary_crossentropy,
      .default_data = CNNGEN_SIGNS_DIR,
      .data_classes = 6,
      .relabel = {{0, 0}, {5, 1}},
      .task = "Binary task from SIGNS: class 5 (open hand, \"happy\") = 1 versus class 0 (fist) = 0.",
      .epochs = 10,
      .batch_size = 16,
  });
}
