// The Keras-like face of a generated network: compile, fit, evaluate, predict, summary.
#pragma once
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment.hpp"
#include "data.hpp"
#include "loss.hpp"
#include "network.hpp"
#include "optimizer.hpp"
#include "progress.hpp"

namespace cnngen {

struct EpochLogs {
  int epoch = 0;  // 1-based, as printed
  double loss = 0, acc = 0;
  double val_loss = NAN, val_acc = NAN;
  double seconds = 0;
  double train_seconds = 0;       // the epoch's training steps alone (seconds: validation too)
  double input_wait_seconds = 0;  // the trainer's time blocked on the input pipeline this epoch
};

struct History {
  std::vector<EpochLogs> epochs;
};

// A training step whose loss or gradient is not finite: the step is not taken, and fit() stops
// before another checkpoint could be written with the weights it would have made.
struct TrainingDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  bool shuffle = true;
  const Dataset* validation = nullptr;  // measured at the end of each epoch: val_loss, val_acc
  uint64_t seed = 0;                    // the shuffling of epoch e depends on (seed, e) only
  int initial_epoch = 0;                // epochs already done (a resumed training)
  bool verbose = true;
  std::function<void(const EpochLogs&)> on_epoch_end;

  // Augmentation, drawn per sample from (seed, epoch, sample) (augment.hpp); pca= draws along `pca`,
  // the training set's colour decomposition (fit_pca_color).
  Augmentation augmentation;
  PcaColor pca;
  // The input pipeline's threads: the batches are the same for any number.
  int producers = 1;
  // Prints each epoch's time blocked on the input pipeline (EpochLogs::input_wait_seconds).
  bool report_input_wait = false;
  // Cosine decay of the learning rate over all the steps of the training, from the optimizer's
  // rate at compile: lr(t) = lr0 (1 + cos(pi t / T)) / 2. It follows the optimizer's step count, so
  // a resumed training continues the same curve.
  bool cosine_decay = false;
  // Before each validation, BatchNorm's moving statistics are re-estimated on the training set (see
  // Model::estimate_batch_norm).
  bool estimate_batch_norm = false;
  // Transfer learning with frozen layers (Model::freeze_through): the frozen part runs once over
  // the training and validation sets, and the rest trains on its cached output. No augmentation.
  bool cache_features = false;
};

struct Evaluation {
  double loss = 0, accuracy = 0;
};

// How evaluate and predict run the model: test-time crops (tta_views) averaged as probabilities.
struct InferenceOptions {
  int batch_size = 32;
  std::vector<View> views = {View{}};  // each sample as it is
  int producers = 1;
  bool verbose = false;
};

class GradientReducer;

class Model {
 public:
  Model(GraphView graph, const KernelTable& kernels);
  Model(Model&&) noexcept;
  ~Model();

  // Data parallelism: this model is one of comm.size() ranks, each holding the whole model. Every
  // batch the methods below take is the global one; each rank runs its share (share_of), the
  // gradients are summed over the ranks while backward runs, and the losses and counts they report
  // are the global batch's. With sync_batch_norm, BatchNorm's statistics are the global batch's
  // too, so that N ranks compute what one process computes on the whole batch (Network).
  void set_communicator(Communicator& comm, bool sync_batch_norm = true);
  Communicator& communicator() const { return net_.communicator(); }
  // The deterministic mode: every batch is cut into micro-batches of `samples` (0: off), dealt
  // whole to the ranks, and every sum over the batch (the gradients, BatchNorm's statistics, the
  // loss) is taken per micro-batch and added in their order: any number of ranks up to the
  // micro-batches of a batch trains bit for bit as one process does. It costs a weight-gradient
  // kernel call per micro-batch and a chain of the gradients through the ranks, with no overlap.
  // Needs synchronised BatchNorm.
  void set_micro_batch(int samples);
  int micro_batch() const { return micro_batch_; }
  // The samples of a global batch of n this rank runs.
  Share share_for(int n) const;
  // Rank root's parameters (moving statistics included) and optimizer state, on every rank.
  void broadcast_state(int root = 0);

  void compile(std::unique_ptr<Optimizer> optimizer, LossKind loss);
  History fit(const Dataset& train, const FitOptions& options);
  // What fit refuses before it starts (the data's shape, a batch some rank would get nothing of).
  void check_fit(const Dataset& train, const FitOptions& options) const;
  Evaluation evaluate(const Dataset& data, int batch_size = 32, bool verbose = true);
  // Probabilities, n x classes, row-major.
  std::vector<float> predict(const float* x, int n, int batch_size = 32);
  // The same for a data set, each sample's probabilities averaged over options.views; with ranks,
  // every rank gets the whole result.
  std::vector<float> predict(const Dataset& data, const InferenceOptions& options);
  std::string summary() const;  // Keras's table with a MACs column (summary.hpp), frozen layers non-trainable

  // Transfer learning: freezes every layer up to and including `layer` (Network::freeze_through);
  // an empty name freezes nothing. Throws std::invalid_argument naming a layer the model lacks.
  // Call before compile's first step and before set_communicator.
  void freeze_through(const std::string& layer);
  // The frozen part's output for every sample of d: a data set of its shape, d's labels.
  Dataset frozen_features(const Dataset& d, int batch_size = 32);

  // Sets every BatchNorm layer's moving statistics to the average of its batch statistics over
  // `data`, in training mode with the current weights. Keras's momentum average lags the weights
  // by hundreds of steps, which costs a ResNet trained on 1080 images several points of accuracy.
  void estimate_batch_norm(const Dataset& data, int batch_size);

  // One optimisation step on a batch; returns its loss (auxiliary outputs' weighted in) and the main
  // output's correct count. With ranks, every rank passes the same global batch.
  ModelLoss train_on_batch(const float* x, std::span<const int> labels, int n);

  Network& network() { return net_; }
  Optimizer* optimizer() { return optimizer_.get(); }
  // The training's learning rate: the rate of a constant schedule, the start of a cosine one. The
  // optimizer holds it between epochs, so that a checkpoint records it rather than a decayed rate.
  double learning_rate() const { return base_learning_rate_; }
  void set_learning_rate(double lr);
  LossKind loss() const { return loss_; }

 private:
  void check_data(const Dataset& d, const char* what) const;
  // Refuses a batch size some rank would get no sample of (in a whole batch or the last one).
  void check_split(int samples, int batch_size, const char* what) const;
  // Without synchronised BatchNorm, each rank's moving statistics are its own: averaged over the ranks.
  void average_moving_statistics();
  // plan_batch: share_for, and the network told the share's micro-batches.
  Share plan_batch(int n);
  // The last training forward's losses and counts over the global batch of n (labels: this rank's).
  ModelLoss batch_loss(std::span<const int> labels, int n);
  Metrics training_metrics(double loss_sum, const std::vector<double>& head_loss_sum, int correct, int seen) const;
  Network net_;
  std::unique_ptr<Optimizer> optimizer_;
  LossKind loss_ = LossKind::categorical_crossentropy;
  std::vector<float> batch_x_;
  std::vector<Buffer> d_logits_;  // one per output
  double base_learning_rate_ = 0;
  std::unique_ptr<GradientReducer> reducer_;  // with ranks
  int micro_batch_ = 0;
  bool sync_batch_norm_ = true;
};

}  // namespace cnngen
