// Checkpoints: every parameter (moving statistics included), the optimizer's state and the number of
// epochs done, so that a resumed training continues exactly where the last one stopped.
// Written atomically (temporary file, fsync, rename, fsync of the folder): a crash or a kill at any
// moment leaves either the previous checkpoint or the new one, never a half-written file.
// Format: "CNNGENCK", version, model name, parameters (name, shape, values), optimizer (name,
// iterations, learning rate, slots), epochs, then an FNV-1a checksum of everything before it.
#pragma once
#include <stdexcept>
#include <string>

#include "network.hpp"
#include "optimizer.hpp"

namespace cnngen {

struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainingProgress {
  int epochs_done = 0;
};

void save_checkpoint(const std::string& path, const Network& net, const Optimizer* opt, const TrainingProgress& progress);

// Throws CheckpointError for a missing, truncated or corrupt file, or one of another model.
// opt may be null (inference only).
TrainingProgress load_checkpoint(const std::string& path, Network& net, Optimizer* opt);

}  // namespace cnngen
