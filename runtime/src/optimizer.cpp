#include <cnngen/optimizer.hpp>

#include <cmath>

namespace cnngen {

namespace {

// One state vector per trainable parameter and slot kind, sized on first use.
void ensure_slots(Optimizer& o, const std::vector<Parameter>& params, int per_param) {
  if (!o.slots.empty()) return;
  for (const Parameter& p : params)
    if (p.trainable)
      for (int k = 0; k < per_param; ++k) o.slots.emplace_back(p.value.size(), 0.0f);
}

}  // namespace

Adam::Adam(double lr, double b1, double b2, double eps) : beta_1(b1), beta_2(b2), epsilon(eps) { learning_rate = lr; }

void Adam::step(std::vector<Parameter>& params) {
  ensure_slots(*this, params, 2);
  ++iterations;
  // As TensorFlow's ApplyAdam: the bias corrections folded into the step size, epsilon added to
  // sqrt(v) unscaled.
  const double t = static_cast<double>(iterations);
  const float lr_t = static_cast<float>(learning_rate * std::sqrt(1 - std::pow(beta_2, t)) / (1 - std::pow(beta_1, t)));
  const float b1 = static_cast<float>(beta_1), b2 = static_cast<float>(beta_2);
  const float eps = static_cast<float>(epsilon);
  size_t slot = 0;
  for (Parameter& p : params) {
    if (!p.trainable) continue;
    float* m = slots[slot++].data();
    float* v = slots[slot++].data();
    float* w = p.value.data();
    const float* g = p.grad.data();
    const size_t count = p.value.size();
    for (size_t i = 0; i < count; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
}

SGD::SGD(double lr, double m) : momentum(m) { learning_rate = lr; }

void SGD::step(std::vector<Parameter>& params) {
  ensure_slots(*this, params, 1);
  ++iterations;
  const float lr = static_cast<float>(learning_rate), mu = static_cast<float>(momentum);
  size_t slot = 0;
  for (Parameter& p : params) {
    if (!p.trainable) continue;
    float* vel = slots[slot++].data();
    for (size_t i = 0; i < p.value.size(); ++i) {
      vel[i] = mu * vel[i] - lr * p.grad[i];
      p.value[i] += vel[i];
    }
  }
}

}  // namespace cnngen
