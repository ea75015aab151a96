// Checkpoints: every parameter (moving statistics included), the optimizer's state and the number of
// epochs done, so that a resumed training continues exactly where the last one stopped.
// Written atomically (temporary file, fsync, rename, fsync of the folder): a crash or a kill at any
// moment leaves either the previous checkpoint or the new one, never a half-written file.
// Format: "CNNGENCK", version, model name, parameters (name, shape, values), optimizer (name,
// iterations, learning rate, slots), epochs, (version 2) the training's settings as named strings,
// then an FNV-1a checksum of everything before it. Version 1 files are read as having no settings.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "network.hpp"
#include "optimizer.hpp"

namespace cnngen {

struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainingProgress {
  int epochs_done = 0;
  // What the training used that evaluation and a resumed training need again: "augment" (its
  // --augment, for test-time crops at its scale), "pca" (the colour decomposition, not recomputed).
  std::map<std::string, std::string> settings;
};

void save_checkpoint(const std::string& path, const Network& net, const Optimizer* opt, const TrainingProgress& progress);

// Throws CheckpointError for a missing, truncated or corrupt file, one of another model or
// optimizer, and any field that does not match what net and opt hold; then neither is changed.
// Reads only a regular file of at most the size a checkpoint of net can have. opt may be null
// (inference only).
TrainingProgress load_checkpoint(const std::string& path, Network& net, Optimizer* opt);

// Transfer learning: copies into net every parameter of the checkpoint at `path` (of any model)
// whose name and number of values match one of net's; the rest of net is left as it is. Without
// with_outputs, the model's output layers are left too: a new task's softmax head starts afresh, as
// the course replaces it. Throws CheckpointError for a file that is not a checkpoint, and for one
// of which nothing matches.
struct InitReport {
  std::string source_model;
  std::vector<std::string> copied;
  std::vector<std::string> not_copied;  // net's parameters left as they were, each with the reason
  int64_t copied_values = 0;
};
InitReport init_from_checkpoint(const std::string& path, Network& net, bool with_outputs = false);

// Held by a training over its checkpoint path, from before its first epoch: it proves the folder
// writable (else CheckpointError now, not after an epoch's work) and refuses a second training on
// the same path (an advisory lock on PATH.lock, naming the process that holds it). While held,
// SIGINT and SIGTERM remove a checkpoint's temporary file if one is being written, and the lock
// file, then end the process as they would have (exit 130 / 143); SIGXFSZ is ignored, so that a
// file-size limit fails the write with a message instead of killing the process. One at a time.
class CheckpointLock {
 public:
  explicit CheckpointLock(const std::string& path);
  ~CheckpointLock();
  CheckpointLock(const CheckpointLock&) = delete;
  CheckpointLock& operator=(const CheckpointLock&) = delete;

 private:
  std::string lock_path_;
  int fd_ = -1;
};

}  // namespace cnngen
