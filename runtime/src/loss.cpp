#include <cnngen/loss.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cnngen {

LossResult loss_and_gradient(LossKind kind, const Buffer& logits, std::span<const int> labels, Buffer* d_logits,
                             int mean_over) {
  const int classes = logits.dim(0).extent(), n = logits.dim(1).extent();
  if (static_cast<int>(labels.size()) != n) throw std::invalid_argument("loss: labels and logits differ in batch size");
  const int over = mean_over > 0 ? mean_over : n;
  LossResult r;
  for (int i = 0; i < n; ++i) {
    const int y = labels[i];
    if (kind == LossKind::binary_crossentropy) {
      if (classes != 1) throw std::invalid_argument("binary_crossentropy needs one output unit, the model has " + std::to_string(classes));
      if (y != 0 && y != 1) throw std::invalid_argument("binary_crossentropy: label " + std::to_string(y) + " is not 0 or 1");
      const double z = logits(0, i);
      r.loss += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
      r.correct += (z > 0) == (y == 1);
      if (d_logits) (*d_logits)(0, i) = static_cast<float>((1.0 / (1.0 + std::exp(-z)) - y) / over);
    } else {
      if (y < 0 || y >= classes)
        throw std::invalid_argument("label " + std::to_string(y) + " is out of range for " + std::to_string(classes) + " classes");
      double mx = logits(0, i);
      int best = 0;
      for (int c = 1; c < classes; ++c)
        if (logits(c, i) > mx) mx = logits(c, i), best = c;
      double total = 0;
      for (int c = 0; c < classes; ++c) total += std::exp(logits(c, i) - mx);
      r.loss += std::log(total) + mx - logits(y, i);
      r.correct += best == y;
      if (d_logits)
        for (int c = 0; c < classes; ++c)
          (*d_logits)(c, i) = static_cast<float>((std::exp(logits(c, i) - mx) / total - (c == y)) / over);
    }
  }
  r.loss /= n;
  return r;
}

ModelLoss model_loss(LossKind kind, const Network& net, std::span<const int> labels, std::vector<Buffer>* d_logits,
                     int mean_over) {
  ModelLoss total;
  const int heads = net.last_forward_training() ? static_cast<int>(net.heads().size()) : 1;
  if (d_logits) d_logits->resize(heads);
  for (int h = 0; h < heads; ++h) {
    const Buffer logits = net.logits(h);
    Buffer* d = nullptr;
    if (d_logits) {
      Buffer& slot = (*d_logits)[h];
      if (!slot.data() || slot.dim(0).extent() != logits.dim(0).extent() || slot.dim(1).extent() != logits.dim(1).extent())
        slot = Buffer(logits.dim(0).extent(), logits.dim(1).extent());
      d = &slot;
    }
    const LossResult r = loss_and_gradient(kind, logits, labels, d, mean_over);
    const float weight = net.heads()[h].loss_weight;
    if (d && weight != 1.0f) d->for_each_value([weight](float& v) { v *= weight; });
    total.loss += weight * r.loss;
    if (h == 0) total.correct = r.correct;
    total.heads.push_back(r);
  }
  return total;
}

void probabilities(Act head, const Buffer& logits, std::span<float> out) {
  const int classes = logits.dim(0).extent(), n = logits.dim(1).extent();
  for (int i = 0; i < n; ++i) {
    float* p = out.data() + static_cast<size_t>(i) * classes;
    if (head == Act::sigmoid) {
      for (int c = 0; c < classes; ++c) p[c] = 1.0f / (1.0f + std::exp(-logits(c, i)));
    } else if (head == Act::softmax) {
      float mx = logits(0, i), total = 0;
      for (int c = 1; c < classes; ++c) mx = std::max(mx, logits(c, i));
      for (int c = 0; c < classes; ++c) total += p[c] = std::exp(logits(c, i) - mx);
      for (int c = 0; c < classes; ++c) p[c] /= total;
    } else {
      for (int c = 0; c < classes; ++c) p[c] = logits(c, i);
    }
  }
}

}  // namespace cnngen
