// A user's own program: the shared command line (summary, train, evaluate, predict, --version)
// over the model's generated kernels.
#include <cnngen/cli.hpp>

#include <tiny_net.hpp>

#include "tiny_net.hpp"

int main(int argc, char** argv) {
  return cnngen::run_program(argc, argv, {
      .name = "tiny_signs",
      .graph = tiny_net::model,
      .kernels = cnngen::generated::tiny_net(),
      .loss = cnngen::LossKind::categorical_crossentropy,
      .task = "SIGNS: six hand signs, 64x64 photographs.",
      .batch_size = 32,
  });
}
