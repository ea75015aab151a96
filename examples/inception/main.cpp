// build/bin/inception: a small Inception network of the course's modules, generated and trained on
// SIGNS. `inception summary` also prints the course's module and its bottleneck arithmetic.
#include <cnngen/cli.hpp>
#include <cnngen/summary.hpp>

#include <cstdio>
#include <cstring>
#include <inception.hpp>

#include "model.hpp"

int main(int argc, char** argv) {
  const int status = cnngen::run_program(argc, argv, {
      .name = "inception",
      .graph = inception::model,
      .kernels = cnngen::generated::inception(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .default_data = CNNGEN_SIGNS_DIR,
      .data_classes = 6,
      .task = "SIGNS: six classes, hands showing 0 to 5 fingers.",
      .epochs = 80,
      .batch_size = 32,
      .augment = "on",
      .cosine_decay = true,
  });
  if (status == 0 && argc == 2 && std::strcmp(argv[1], "summary") == 0) {
    std::printf("\nThe course's Inception module (28x28x192 -> 28x28x256):\n%s",
                cnngen::summary_with_macs(inception::module).c_str());
    std::printf("\nIts 5x5 branch, 28x28x192 -> 28x28x32: %s MACs computed directly, %s through a 1x1 "
                "bottleneck of 16 channels (%.1fx fewer).\n",
                cnngen::thousands(inception::plain_5x5.total_macs()).c_str(),
                cnngen::thousands(inception::bottleneck_5x5.total_macs()).c_str(),
                double(inception::plain_5x5.total_macs()) / double(inception::bottleneck_5x5.total_macs()));
  }
  return status;
}
