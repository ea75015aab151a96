#include <cnngen/model.hpp>

#include <chrono>
#include <cstring>
#include <iostream>
#include <numeric>
#include <random>
#include <stdexcept>

#include <cnngen/progress.hpp>
#include <cnngen/summary.hpp>

namespace cnngen {

void Model::compile(std::unique_ptr<Optimizer> optimizer, LossKind loss) {
  optimizer_ = std::move(optimizer);
  loss_ = loss;
  if (loss == LossKind::binary_crossentropy && net_.classes() != 1)
    throw std::invalid_argument("binary_crossentropy needs a model with one output unit; " +
                                std::string(net_.graph().name) + " has " + std::to_string(net_.classes()));
}

void Model::check_data(const Dataset& d, const char* what) const {
  const Shape s = net_.graph().input_shape();
  if (d.h != s.h || d.w != s.w || d.c != s.c)
    throw std::invalid_argument(std::string(what) + " samples are " + std::to_string(d.h) + "x" + std::to_string(d.w) +
                                "x" + std::to_string(d.c) + ", model " + std::string(net_.graph().name) + " takes " +
                                std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c));
  if (d.n == 0) throw std::invalid_argument(std::string(what) + " data set is empty");
}

LossResult Model::train_on_batch(const float* x, std::span<const int> labels, int n) {
  if (!optimizer_) throw std::logic_error("train_on_batch: compile the model first");
  const Buffer& logits = net_.forward(x, n, true);
  Buffer d_logits(logits.dim(0).extent(), n);
  const LossResult r = loss_and_gradient(loss_, logits, labels, &d_logits);
  net_.backward(d_logits);
  optimizer_->step(net_.parameters());
  return r;
}

History Model::fit(const Dataset& train, const FitOptions& o) {
  if (!optimizer_) throw std::logic_error("fit: compile the model first");
  if (o.batch_size <= 0) throw std::invalid_argument("fit: batch size must be positive");
  check_data(train, "training");
  if (o.validation) check_data(*o.validation, "validation");
  History history;
  std::vector<int> order(train.n), batch_y;
  const int64_t sample = train.sample_size();
  for (int epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    if (o.shuffle) {  // Fisher-Yates from a stream fixed by (seed, epoch): a resumed run shuffles alike
      std::mt19937_64 rng(o.seed * 1000003ull + static_cast<uint64_t>(epoch));
      for (int i = train.n - 1; i > 0; --i) std::swap(order[i], order[static_cast<int>(rng() % (i + 1))]);
    }
    if (o.verbose) std::cout << "Epoch " << epoch + 1 << "/" << o.epochs << std::endl;
    ProgressBar bar(train.n, std::cout, o.verbose && ProgressBar::stdout_is_terminal());
    double loss_sum = 0;
    int correct = 0, seen = 0;
    for (int first = 0; first < train.n; first += o.batch_size) {
      const int n = std::min(o.batch_size, train.n - first);
      batch_x_.resize(static_cast<size_t>(n) * sample);
      batch_y.resize(n);
      for (int i = 0; i < n; ++i) {
        std::memcpy(batch_x_.data() + i * sample, train.sample(order[first + i]), sizeof(float) * sample);
        batch_y[i] = train.y[order[first + i]];
      }
      const LossResult r = train_on_batch(batch_x_.data(), batch_y, n);
      loss_sum += r.loss * n, correct += r.correct, seen += n;
      if (o.verbose) bar.update(seen, {{"loss", loss_sum / seen}, {"acc", double(correct) / seen}});
    }
    EpochLogs logs{.epoch = epoch + 1, .loss = loss_sum / seen, .acc = double(correct) / seen};
    Metrics shown{{"loss", logs.loss}, {"acc", logs.acc}};
    if (o.validation) {
      const Evaluation v = evaluate(*o.validation, o.batch_size, false);
      logs.val_loss = v.loss, logs.val_acc = v.accuracy;
      shown.push_back({"val_loss", v.loss});
      shown.push_back({"val_acc", v.accuracy});
    }
    logs.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o.verbose) bar.finish(shown);
    history.epochs.push_back(logs);
    if (o.on_epoch_end) o.on_epoch_end(logs);
  }
  return history;
}

Evaluation Model::evaluate(const Dataset& d, int batch_size, bool verbose) {
  check_data(d, "evaluation");
  ProgressBar bar(d.n, std::cout, verbose && ProgressBar::stdout_is_terminal());
  double loss_sum = 0;
  int correct = 0;
  for (int first = 0; first < d.n; first += batch_size) {
    const int n = std::min(batch_size, d.n - first);
    const Buffer& logits = net_.forward(d.sample(first), n, false);
    const LossResult r = loss_and_gradient(loss_, logits, std::span<const int>(d.y).subspan(first, n), nullptr);
    loss_sum += r.loss * n, correct += r.correct;
    if (verbose) bar.update(first + n, {});
  }
  if (verbose) bar.finish({});
  return {loss_sum / d.n, double(correct) / d.n};
}

std::vector<float> Model::predict(const float* x, int n, int batch_size) {
  const int classes = net_.classes();
  const int64_t sample = net_.graph().input_shape().size();
  std::vector<float> out(static_cast<size_t>(n) * classes);
  for (int first = 0; first < n; first += batch_size) {
    const int b = std::min(batch_size, n - first);
    const Buffer& logits = net_.forward(x + first * sample, b, false);
    probabilities(net_.head_activation(), logits, std::span<float>(out).subspan(static_cast<size_t>(first) * classes));
  }
  return out;
}

std::string Model::summary() const { return cnngen::summary(net_.graph()); }

}  // namespace cnngen
