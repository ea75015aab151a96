#include <cnngen/inference.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include <cnngen/input_pipeline.hpp>
#include <cnngen/progress.hpp>

namespace cnngen {

void check_ensemble(std::span<Model* const> members) {
  if (members.empty()) throw std::invalid_argument("an ensemble needs at least one member");
  const Network& first = members[0]->network();
  for (size_t m = 1; m < members.size(); ++m) {
    const Network& other = members[m]->network();
    bool same = first.graph().name == other.graph().name && first.parameters().size() == other.parameters().size();
    for (size_t i = 0; same && i < first.parameters().size(); ++i)
      same = first.parameters()[i].name == other.parameters()[i].name && first.parameters()[i].size() == other.parameters()[i].size();
    if (!same)
      throw std::invalid_argument("ensemble member " + std::to_string(m + 1) + " is a model " + std::string(other.graph().name) +
                                  " unlike member 1's " + std::string(first.graph().name));
  }
}

std::vector<float> predict_averaged(std::span<Model* const> members, const Dataset& data, const InferenceOptions& o) {
  check_ensemble(members);
  if (o.views.empty()) throw std::invalid_argument("predict: no view of the samples to run");
  if (o.batch_size <= 0) throw std::invalid_argument("predict: batch size must be positive");
  Model& lead = *members[0];
  const Shape s = lead.network().graph().input_shape();
  if (data.h != s.h || data.w != s.w || data.c != s.c)
    throw std::invalid_argument("samples of " + std::to_string(data.h) + "x" + std::to_string(data.w) + "x" +
                                std::to_string(data.c) + " for model " + std::string(lead.network().graph().name) + " of " +
                                std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c));
  Communicator& comm = lead.communicator();
  const int classes = lead.network().classes(), views = static_cast<int>(o.views.size());
  const int64_t sample = data.sample_size();
  const int batches = (data.n + o.batch_size - 1) / o.batch_size;
  // A batch holds this rank's share of o.batch_size samples, each sample's views one after another.
  const auto fill = [&](int index, Batch& b, const std::atomic<bool>& stop) {
    b.first = index * o.batch_size;
    b.n = std::min(o.batch_size, data.n - b.first);
    const Share share = share_of(b.n, comm.rank(), comm.size());
    b.x.resize(static_cast<size_t>(share.size()) * views * sample);
    for (int i = share.begin; i < share.end && !stop; ++i)
      for (int v = 0; v < views; ++v) {
        float* out = b.x.data() + (static_cast<int64_t>(i - share.begin) * views + v) * sample;
        const View& view = o.views[v];
        if (view.side_h == 0) std::copy_n(data.sample(b.first + i), sample, out);
        else render_view(view, data.sample(b.first + i), data.h, data.w, data.c, out);
      }
  };
  std::vector<float> result(static_cast<size_t>(data.n) * classes, 0.0f);
  const bool verbose = o.verbose && comm.rank() == 0;
  ProgressBar bar(data.n, std::cout, verbose && ProgressBar::stdout_is_terminal());
  InputPipeline input(batches, fill, {.producers = o.producers});
  while (const Batch* b = input.next()) {
    const Share share = share_of(b->n, comm.rank(), comm.size());
    const int images = share.size() * views;
    for (Model* m : members) {
      if (images == 0) break;
      const std::vector<float> p = m->predict(b->x.data(), images, o.batch_size);
      for (int i = 0; i < share.size(); ++i)
        for (int v = 0; v < views; ++v)
          for (int c = 0; c < classes; ++c)
            result[static_cast<size_t>(b->first + share.begin + i) * classes + c] += p[(static_cast<size_t>(i) * views + v) * classes + c];
    }
    if (verbose) bar.update(b->first + b->n, {});
  }
  const float scale = 1.0f / (static_cast<float>(views) * static_cast<float>(members.size()));
  if (scale != 1.0f)
    for (float& v : result) v *= scale;
  comm.sum(std::span<float>(result));  // every rank's rows, each computed by one rank alone
  if (verbose) bar.finish({});
  return result;
}

Evaluation score(std::span<const float> probabilities, std::span<const int> labels, int classes, LossKind loss) {
  const size_t n = labels.size();
  if (n == 0 || probabilities.size() != n * classes) throw std::invalid_argument("score: probabilities do not match the labels");
  constexpr double kEpsilon = 1e-7;  // Keras's backend epsilon
  const auto clip = [&](double p) { return std::clamp(p, kEpsilon, 1 - kEpsilon); };
  double loss_sum = 0;
  int correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* p = probabilities.data() + i * classes;
    const int y = labels[i];
    if (y < 0 || y >= std::max(classes, 2)) throw std::invalid_argument("score: label " + std::to_string(y) + " out of range");
    if (loss == LossKind::binary_crossentropy) {
      loss_sum -= y == 1 ? std::log(clip(p[0])) : std::log(1 - clip(p[0]));
      correct += (p[0] > 0.5f) == (y == 1);
    } else {
      loss_sum -= std::log(clip(p[y]));
      correct += static_cast<int>(std::max_element(p, p + classes) - p) == y;
    }
  }
  return {loss_sum / double(n), double(correct) / double(n)};
}

}  // namespace cnngen
