#include <cnngen/model.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <cstdio>
#include <iostream>
#include <numbers>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <stdexcept>

#include <cnngen/inference.hpp>
#include <cnngen/input_pipeline.hpp>
#include <cnngen/progress.hpp>
#include <cnngen/summary.hpp>

#include "gradient_reducer.hpp"

namespace cnngen {

Model::Model(GraphView graph, const KernelTable& kernels) : net_(graph, kernels) {}
Model::Model(Model&&) noexcept = default;
Model::~Model() = default;

void Model::set_communicator(Communicator& comm, bool sync_batch_norm) {
  if (micro_batch_ > 0 && !sync_batch_norm)
    throw std::invalid_argument("the deterministic mode (micro-batches) needs synchronised BatchNorm (--sync-bn on)");
  sync_batch_norm_ = sync_batch_norm;
  net_.set_communicator(comm, sync_batch_norm);
  reducer_.reset();
  if (comm.size() > 1) reducer_ = std::make_unique<GradientReducer>(net_);
}

void Model::set_micro_batch(int samples) {
  if (samples < 0) throw std::invalid_argument("micro-batch: a negative number of samples");
  if (samples > 0 && !sync_batch_norm_)
    throw std::invalid_argument("the deterministic mode (micro-batches) needs synchronised BatchNorm (--sync-bn on)");
  micro_batch_ = samples;
  if (samples == 0) net_.set_micro_batches({});
}

void Model::broadcast_state(int root) {
  Communicator& comm = communicator();
  if (comm.size() == 1) return;
  for (Parameter& p : net_.parameters()) comm.broadcast(std::span<float>(p.value), root);
  if (!optimizer_) return;
  // iterations, learning rate, the training's base rate, whether the slots exist yet
  double scalars[] = {double(optimizer_->iterations), optimizer_->learning_rate, base_learning_rate_,
                      double(optimizer_->slots.size())};
  comm.broadcast(scalars, root);
  optimizer_->iterations = static_cast<int64_t>(scalars[0]);
  optimizer_->learning_rate = scalars[1], base_learning_rate_ = scalars[2];
  if (scalars[3] == 0) {
    optimizer_->slots.clear();
    return;
  }
  const int per_parameter = slots_per_parameter(optimizer_->name());
  const std::vector<size_t> sizes = slot_sizes(net_.parameters(), per_parameter);
  optimizer_->slots.resize(sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    optimizer_->slots[i].resize(sizes[i]);
    comm.broadcast(std::span<float>(optimizer_->slots[i]), root);
  }
}

void Model::check_fit(const Dataset& train, const FitOptions& o) const {
  if (o.batch_size <= 0) throw std::invalid_argument("fit: batch size must be positive");
  check_data(train, "training");
  check_split(train.n, o.batch_size, "training");
  if (o.validation) check_data(*o.validation, "validation");
}

void Model::check_split(int samples, int batch_size, const char* what) const {
  const int ranks = communicator().size();
  // What is dealt out: samples, or in the deterministic mode whole micro-batches.
  const auto units = [&](int n) { return micro_batch_ > 0 ? (n + micro_batch_ - 1) / micro_batch_ : n; };
  const int first = std::min(batch_size, samples), last = samples % batch_size;
  if (units(first) >= ranks && (last == 0 || units(last) >= ranks)) return;
  const int short_batch = units(first) < ranks ? first : last;
  throw std::invalid_argument(std::string(what) + ": a batch of " + std::to_string(short_batch) +
                              (short_batch == last && last != first ? " (the last of the " + std::to_string(samples) + " samples)" : "") +
                              (micro_batch_ > 0 ? " in micro-batches of " + std::to_string(micro_batch_) : "") +
                              " leaves some of the " + std::to_string(ranks) + " ranks without " +
                              (micro_batch_ > 0 ? "a micro-batch" : "a sample") + ": choose a --batch-size that gives each rank one");
}

void Model::average_moving_statistics() {
  Communicator& comm = communicator();
  if (comm.size() == 1 || net_.sync_batch_norm()) return;
  for (Parameter& p : net_.parameters())
    if (!p.trainable && !p.frozen) {
      comm.sum(std::span<float>(p.value));
      for (float& v : p.value) v /= static_cast<float>(comm.size());
    }
}

void Model::compile(std::unique_ptr<Optimizer> optimizer, LossKind loss) {
  optimizer_ = std::move(optimizer);
  base_learning_rate_ = optimizer_->learning_rate;
  loss_ = loss;
  if (loss == LossKind::binary_crossentropy && net_.classes() != 1)
    throw std::invalid_argument("binary_crossentropy needs a model with one output unit; " +
                                std::string(net_.graph().name) + " has " + std::to_string(net_.classes()));
}

void Model::set_learning_rate(double lr) {
  if (!optimizer_) throw std::logic_error("set_learning_rate: compile the model first");
  base_learning_rate_ = optimizer_->learning_rate = lr;
}

void Model::check_data(const Dataset& d, const char* what) const {
  const Shape s = net_.input_shape();
  if (d.h != s.h || d.w != s.w || d.c != s.c)
    throw std::invalid_argument(std::string(what) + " samples are " + std::to_string(d.h) + "x" + std::to_string(d.w) +
                                "x" + std::to_string(d.c) + ", model " + std::string(net_.graph().name) + " takes " +
                                std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c));
  if (d.n == 0) throw std::invalid_argument(std::string(what) + " data set is empty");
}

namespace {

// Whether every value is finite, from the exponent bits: vectorised, unlike std::isfinite's loop
// (about 1% of a ResNet50 step on its 23.5M gradients).
bool all_finite(const FloatArray& v) {
  uint32_t bad = 0;
  for (const float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

}  // namespace

Share Model::share_for(int n) const {
  const Communicator& comm = communicator();
  if (micro_batch_ == 0) {
    if (n < comm.size())  // refused on every rank alike, before any collective
      throw std::invalid_argument("a batch of " + std::to_string(n) + " leaves some of the " + std::to_string(comm.size()) +
                                  " ranks without a sample");
    return share_of(n, comm.rank(), comm.size());
  }
  // Deterministic mode: whole micro-batches per rank, the same cut whatever the number of ranks.
  const int m = micro_batch_, parts = (n + m - 1) / m;
  if (parts < comm.size())
    throw std::invalid_argument("a batch of " + std::to_string(n) + " in micro-batches of " + std::to_string(m) + " makes " +
                                std::to_string(parts) + ", fewer than the " + std::to_string(comm.size()) + " ranks");
  const Share mine = share_of(parts, comm.rank(), comm.size());
  return {mine.begin * m, std::min(mine.end * m, n)};
}

Share Model::plan_batch(int n) {
  const Share samples = share_for(n);
  if (micro_batch_ == 0) return samples;
  std::vector<Share> micro;
  for (int at = samples.begin; at < samples.end; at += micro_batch_)
    micro.push_back({at - samples.begin, std::min(at + micro_batch_, samples.end) - samples.begin});
  net_.set_micro_batches(std::move(micro));
  return samples;
}

ModelLoss Model::batch_loss(std::span<const int> labels, int n) {
  // Per segment: the loss sum, the main head's correct count, then each head's loss sum and count.
  const int heads = static_cast<int>(net_.heads().size());
  const std::vector<Share> segments = net_.segments();
  const int width = 2 + 2 * heads;
  std::vector<double> partials(segments.size() * width, 0.0);
  for (int h = 0; h < heads; ++h) {
    const Buffer logits = net_.logits(h);
    for (size_t s = 0; s < segments.size(); ++s) {
      const Share seg = segments[s];
      const Buffer view(const_cast<float*>(logits.data()) + seg.begin * logits.dim(1).stride(), {logits.dim(0).extent(), seg.size()});
      const LossResult r = loss_and_gradient(loss_, view, labels.subspan(seg.begin, seg.size()), nullptr);
      double* at = partials.data() + s * width;
      at[0] += net_.heads()[h].loss_weight * r.loss * seg.size();
      if (h == 0) at[1] = r.correct;
      at[2 + 2 * h] = r.loss * seg.size(), at[3 + 2 * h] = r.correct;
    }
  }
  const std::vector<double> total = net_.sum_over_batch(partials, width);
  ModelLoss r{total[0] / n, static_cast<int>(total[1]), {}};
  for (int h = 0; h < heads; ++h) r.heads.push_back({total[2 + 2 * h] / n, static_cast<int>(total[3 + 2 * h])});
  return r;
}

ModelLoss Model::train_on_batch(const float* x, std::span<const int> labels, int n) {
  if (!optimizer_) throw std::logic_error("train_on_batch: compile the model first");
  const Share share = plan_batch(n);
  if (communicator().size() > 1) {
    std::vector<uint32_t> seeds = net_.upcoming_sample_seeds(n);  // the global batch's, as one process draws them
    net_.set_sample_seeds({seeds.begin() + share.begin, seeds.begin() + share.end});
  }
  const int64_t sample = net_.input_shape().size();
  const std::span<const int> mine = labels.subspan(share.begin, share.size());
  net_.forward(x + share.begin * sample, share.size(), true);
  // Each rank's gradient is that of the global batch's mean loss over its share: their sum is the
  // global batch's gradient.
  model_loss(loss_, net_, mine, &d_logits_, n);
  const ModelLoss r = batch_loss(mine, n);
  if (!std::isfinite(r.loss)) throw TrainingDiverged(std::isnan(r.loss) ? "the loss is nan" : "the loss is infinite");
  if (net_.deterministic()) {
    net_.backward(d_logits_);
    net_.fold_segment_gradients();
  } else if (reducer_) {  // the hook lives for this backward only: a moved Model leaves no dangling one behind
    reducer_->begin();
    net_.set_backward_hook([this](int node) { reducer_->node_done(net_, node); });
    try {
      net_.backward(d_logits_);
    } catch (...) {
      net_.set_backward_hook(nullptr);
      throw;
    }
    net_.set_backward_hook(nullptr);
    reducer_->finish(net_);
  } else {
    net_.backward(d_logits_);
  }
  for (const Parameter& p : net_.parameters())
    if (p.trainable && !all_finite(p.grad)) throw TrainingDiverged("the gradient of " + p.name + " is not finite");
  optimizer_->step(net_.parameters());
  return r;
}

namespace {

// The seed of a sample's random draws in a training forward (Dropout's mask), from (seed, epoch,
// sample) only, as the augmentation's: a resumed run, or the sample on another process, draws alike.
uint32_t sample_seed(uint64_t seed, int epoch, int sample) {
  uint64_t x = sample_key(seed, epoch, sample);
  x = (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ull;  // a finaliser, so that near keys give far seeds
  return static_cast<uint32_t>((x ^ (x >> 27)) >> 32);
}

// What estimate_batch_norm's forwards draw: not an epoch of training's.
constexpr int kEstimateEpoch = -1;

// The epoch's order of the samples: Fisher-Yates from a stream fixed by (seed, epoch), so that a
// resumed run shuffles alike.
std::vector<int> epoch_order(int n, const FitOptions& o, int epoch) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (!o.shuffle) return order;
  std::mt19937_64 rng(o.seed * 1000003ull + static_cast<uint64_t>(epoch));
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[static_cast<int>(rng() % (i + 1))]);
  return order;
}

// What fit's input pipeline makes: batch k of the training is batch k % B of epoch
// initial_epoch + k / B (B batches an epoch), its samples in the epoch's order, each augmented as
// drawn for (seed, epoch, sample); the samples other ranks run are labelled but not made.
class TrainingBatches {
 public:
  TrainingBatches(const Dataset& train, const FitOptions& o, int64_t batches, std::function<Share(int)> share)
      : train_(train), o_(o), batches_(batches), share_(std::move(share)) {}

  void fill(int index, Batch& b, const std::atomic<bool>& stop) {
    const int64_t sample = train_.sample_size();
    b.epoch = o_.initial_epoch + static_cast<int>(index / batches_);
    b.first = static_cast<int>(index % batches_) * o_.batch_size;
    b.n = std::min(o_.batch_size, train_.n - b.first);
    const std::shared_ptr<const std::vector<int>> order = order_of(b.epoch);
    b.x.resize(static_cast<size_t>(b.n) * sample);
    b.y.resize(b.n), b.seeds.resize(b.n);
    const Share share = share_(b.n);
    for (int i = 0; i < b.n && !stop; ++i) {
      const int s = (*order)[b.first + i];
      b.y[i] = train_.y[s];
      b.seeds[i] = sample_seed(o_.seed, b.epoch, s);
      if (i < share.begin || i >= share.end) continue;
      const SampleDraw d = draw(o_.augmentation, o_.pca, sample_key(o_.seed, b.epoch, s), train_.h, train_.w);
      apply(d, train_.sample(s), train_.h, train_.w, train_.c, b.x.data() + i * sample);
    }
  }

 private:
  // The epoch's order, shuffled once; the last few epochs' are kept (the ring holds at most three
  // batches, so at most three epochs are in flight).
  std::shared_ptr<const std::vector<int>> order_of(int epoch) {
    std::lock_guard lock(mutex_);
    std::shared_ptr<const std::vector<int>>& slot = orders_[epoch];
    if (!slot) slot = std::make_shared<const std::vector<int>>(epoch_order(train_.n, o_, epoch));
    std::shared_ptr<const std::vector<int>> order = slot;
    while (orders_.size() > 3) orders_.erase(orders_.begin());
    return order;
  }

  const Dataset& train_;
  const FitOptions& o_;
  const int64_t batches_;
  const std::function<Share(int)> share_;
  std::mutex mutex_;
  std::map<int, std::shared_ptr<const std::vector<int>>> orders_;
};

}  // namespace

// Keras's progress line: the loss, then with auxiliary outputs each output's own loss, then the
// main output's accuracy.
Metrics Model::training_metrics(double loss_sum, const std::vector<double>& head_loss_sum, int correct, int seen) const {
  Metrics m{{"loss", loss_sum / seen}};
  if (net_.heads().size() > 1)
    for (size_t h = 0; h < head_loss_sum.size(); ++h)
      m.push_back({std::string(net_.graph().nodes[net_.heads()[h].node].name.view()) + "_loss", head_loss_sum[h] / seen});
  m.push_back({"acc", double(correct) / seen});
  return m;
}

void Model::estimate_batch_norm(const Dataset& data, int batch_size) {
  check_data(data, "batch-norm estimation");
  check_split(data.n, batch_size, "batch-norm estimation");
  net_.begin_batch_norm_estimate();
  try {
    for (int first = 0; first < data.n; first += batch_size) {
      const int n = std::min(batch_size, data.n - first);
      const Share share = plan_batch(n);
      std::vector<uint32_t> seeds;
      for (int i = share.begin; i < share.end; ++i) seeds.push_back(sample_seed(0, kEstimateEpoch, first + i));
      net_.set_sample_seeds(std::move(seeds));
      net_.forward(data.sample(first + share.begin), share.size(), true);
    }
  } catch (...) {
    net_.end_batch_norm_estimate();
    throw;
  }
  net_.end_batch_norm_estimate();
  average_moving_statistics();
}

History Model::fit(const Dataset& train, const FitOptions& o) {
  if (!optimizer_) throw std::logic_error("fit: compile the model first");
  if (o.cache_features && !net_.features_input()) {
    if (o.augmentation.any()) throw std::invalid_argument("cached features are computed once, without augmentation");
    const Dataset features = frozen_features(train, o.batch_size);
    const Dataset validation = o.validation ? frozen_features(*o.validation, o.batch_size) : Dataset{};
    FitOptions on_features = o;
    if (o.validation) on_features.validation = &validation;
    net_.set_features_input(true);
    struct Restore {
      Network& net;
      ~Restore() { net.set_features_input(false); }
    } restore{net_};
    return fit(features, on_features);
  }
  check_fit(train, o);
  check_augmentation(o.augmentation, train.h, train.w, train.c);
  if (o.augmentation.pca > 0 && o.pca.empty())
    throw std::invalid_argument("augmentation pca: FitOptions::pca holds no colour decomposition (fit_pca_color of the training set)");
  // With ranks, rank 0 alone prints.
  const Communicator& comm = communicator();
  const bool verbose = o.verbose && comm.rank() == 0;
  History history;
  const int64_t batches = (int64_t{train.n} + o.batch_size - 1) / o.batch_size;
  const int64_t total_steps = int64_t{o.epochs} * batches;
  if (int64_t{o.epochs - o.initial_epoch} * batches > std::numeric_limits<int>::max())
    throw std::invalid_argument("fit: more than 2^31 batches");
  // One pipeline over every batch of the training, so that the producers run into the next epoch
  // while this one validates.
  TrainingBatches source(train, o, batches, [this](int n) { return share_for(n); });
  const auto fill = [&](int index, Batch& b, const std::atomic<bool>& stop) { source.fill(index, b, stop); };
  InputPipeline input(static_cast<int>((o.epochs - o.initial_epoch) * batches), fill, {.producers = o.producers});
  double waited = 0;
  for (int epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    if (verbose) std::cout << "Epoch " << epoch + 1 << "/" << o.epochs << std::endl;
    ProgressBar bar(train.n, std::cout, verbose && ProgressBar::stdout_is_terminal());
    double loss_sum = 0;
    int correct = 0, seen = 0;
    std::vector<double> head_loss_sum(net_.heads().size());
    for (int64_t k = 0; k < batches; ++k) {
      const Batch* b = input.next();
      if (!b) throw std::logic_error("fit: the input pipeline ended early");
      const int n = b->n;
      net_.set_sample_seeds(b->seeds);
      if (o.cosine_decay)
        optimizer_->learning_rate =
            base_learning_rate_ * 0.5 * (1 + std::cos(std::numbers::pi * double(optimizer_->iterations) / double(total_steps)));
      ModelLoss r;
      try {
        r = train_on_batch(b->x.data(), b->y, n);
      } catch (const TrainingDiverged& e) {
        if (verbose && ProgressBar::stdout_is_terminal()) std::cout << std::endl;  // off the bar's line
        throw TrainingDiverged("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs) + ", batch " +
                               std::to_string(k + 1) + "/" + std::to_string(batches) + ": " + e.what() +
                               "; training stopped before the step, no checkpoint written after it (try a lower --lr)");
      }
      loss_sum += r.loss * n, correct += r.correct, seen += n;
      for (size_t h = 0; h < r.heads.size(); ++h) head_loss_sum[h] += r.heads[h].loss * n;
      if (verbose) bar.update(seen, training_metrics(loss_sum, head_loss_sum, correct, seen));
    }
    optimizer_->learning_rate = base_learning_rate_;  // what a checkpoint of this epoch records
    EpochLogs logs{.epoch = epoch + 1, .loss = loss_sum / seen, .acc = double(correct) / seen};
    logs.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    logs.input_wait_seconds = input.wait_seconds() - waited;
    waited = input.wait_seconds();
    Metrics shown = training_metrics(loss_sum, head_loss_sum, correct, seen);
    if (o.estimate_batch_norm) estimate_batch_norm(train, o.batch_size);
    else average_moving_statistics();
    if (o.validation) {
      const Evaluation v = evaluate(*o.validation, o.batch_size, false);
      logs.val_loss = v.loss, logs.val_acc = v.accuracy;
      shown.push_back({"val_loss", v.loss});
      shown.push_back({"val_acc", v.accuracy});
    }
    logs.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (verbose) bar.finish(shown);
    if (verbose && o.report_input_wait)
      std::printf("input pipeline: %d producer(s); the trainer waited %.3f s of its %.2f s of steps (%.1f images/s); epoch %.1f s\n",
                  o.producers, logs.input_wait_seconds, logs.train_seconds, seen / logs.train_seconds, logs.seconds);
    history.epochs.push_back(logs);
    if (o.on_epoch_end) o.on_epoch_end(logs);
  }
  return history;
}

// With ranks, each takes its share of every batch (a rank may have none: inference needs no
// collective), and the sums are reduced at the end. The input pipeline copies each batch's share
// while the network runs the one before.
Evaluation Model::evaluate(const Dataset& d, int batch_size, bool verbose) {
  check_data(d, "evaluation");
  if (batch_size <= 0) throw std::invalid_argument("evaluate: batch size must be positive");
  Communicator& comm = communicator();
  verbose = verbose && comm.rank() == 0;
  ProgressBar bar(d.n, std::cout, verbose && ProgressBar::stdout_is_terminal());
  const auto fill = [&](int index, Batch& b, const std::atomic<bool>&) {
    b.first = index * batch_size;
    b.n = std::min(batch_size, d.n - b.first);
    const Share share = share_of(b.n, comm.rank(), comm.size());
    b.x.assign(d.sample(b.first + share.begin), d.sample(b.first + share.end));
  };
  InputPipeline input((d.n + batch_size - 1) / batch_size, fill, {});
  double totals[2] = {0, 0};  // loss sum, correct
  while (const Batch* b = input.next()) {
    const Share share = share_of(b->n, comm.rank(), comm.size());
    if (share.size() > 0) {
      const Buffer& logits = net_.forward(b->x.data(), share.size(), false);
      const LossResult r =
          loss_and_gradient(loss_, logits, std::span<const int>(d.y).subspan(b->first + share.begin, share.size()), nullptr);
      totals[0] += r.loss * share.size(), totals[1] += r.correct;
    }
    if (verbose) bar.update(b->first + b->n, {});
  }
  comm.sum(totals);
  if (verbose) bar.finish({});
  return {totals[0] / d.n, totals[1] / d.n};
}

std::vector<float> Model::predict(const Dataset& data, const InferenceOptions& options) {
  Model* self = this;
  return predict_averaged(std::span<Model* const>(&self, 1), data, options);
}

std::vector<float> Model::predict(const float* x, int n, int batch_size) {
  const int classes = net_.classes();
  const int64_t sample = net_.input_shape().size();
  std::vector<float> out(static_cast<size_t>(n) * classes);
  for (int first = 0; first < n; first += batch_size) {
    const int b = std::min(batch_size, n - first);
    const Buffer& logits = net_.forward(x + first * sample, b, false);
    probabilities(net_.head_activation(), logits, std::span<float>(out).subspan(static_cast<size_t>(first) * classes));
  }
  return out;
}

std::string Model::summary() const { return cnngen::summary_with_macs(net_.graph(), net_.frozen_through()); }

void Model::freeze_through(const std::string& layer) {
  const int node = freeze_point(net_.graph(), layer);
  if (optimizer_ && optimizer_->iterations > 0) throw std::logic_error("freeze_through: the model has trained already");
  net_.freeze_through(node);
  if (reducer_) reducer_ = std::make_unique<GradientReducer>(net_);  // it packs the trainable parameters
}

Dataset Model::frozen_features(const Dataset& d, int batch_size) {
  check_data(d, "feature extraction");
  const Node& cut = net_.graph().nodes[net_.frozen_through() < 0 ? 0 : net_.frozen_through()];
  Dataset f;
  f.n = d.n, f.h = cut.out.rank == 3 ? cut.out.h : 1, f.w = cut.out.rank == 3 ? cut.out.w : 1, f.c = cut.out.c;
  f.y = d.y, f.sources = d.sources;
  f.x.resize(static_cast<size_t>(f.n) * f.sample_size());
  for (int first = 0; first < d.n; first += batch_size) {
    const int n = std::min(batch_size, d.n - first);
    const Buffer out = net_.forward_frozen_part(d.sample(first), n);
    std::copy_n(out.data(), static_cast<size_t>(n) * f.sample_size(), f.x.data() + static_cast<size_t>(first) * f.sample_size());
  }
  return f;
}

}  // namespace cnngen
