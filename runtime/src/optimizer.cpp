#include <cnngen/optimizer.hpp>

#include <HalideRuntime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cnngen {

namespace {

// Runs body(begin, end) over [0, count) in chunks of 64K elements on Halide's thread pool, the
// threads the kernels use (halide_set_num_threads). An update reads and writes 28 bytes per
// parameter (Adam: 658 MB a step for ResNet50's 23.5M), so it is bound by memory, and one core
// does not saturate it: measured for a ResNet50-sized Adam step, 61 ms with the scalar loop of
// before, 31 ms vectorised (this file is compiled with -fno-math-errno, without which GCC keeps
// sqrt scalar to set errno), 19 ms on two threads. Elementwise: the result does not depend on the
// threads.
template <class Body>
void parallel_chunks(size_t count, const Body& body) {
  constexpr size_t kChunk = size_t{1} << 16;
  const int chunks = static_cast<int>((count + kChunk - 1) / kChunk);
  if (chunks <= 1) {
    body(size_t{0}, count);
    return;
  }
  struct Closure {
    const Body* body;
    size_t count;
  } closure{&body, count};
  const auto task = [](void*, int chunk, uint8_t* c) -> int {
    const Closure& cl = *reinterpret_cast<const Closure*>(c);
    const size_t begin = static_cast<size_t>(chunk) * kChunk;
    (*cl.body)(begin, std::min(cl.count, begin + kChunk));
    return 0;
  };
  halide_do_par_for(nullptr, task, 0, chunks, reinterpret_cast<uint8_t*>(&closure));
}

}  // namespace

int slots_per_parameter(const std::string& optimizer_name) {
  if (optimizer_name == "adam") return 2;
  if (optimizer_name == "sgd") return 1;
  return -1;
}

std::vector<size_t> slot_sizes(const std::vector<Parameter>& params, int per_parameter) {
  std::vector<size_t> sizes;
  for (const Parameter& p : params)
    if (p.trainable) sizes.insert(sizes.end(), per_parameter, p.value.size());
  return sizes;
}

void Optimizer::ensure_slots(const std::vector<Parameter>& params) {
  const std::vector<size_t> sizes = slot_sizes(params, slots_per_parameter(name()));
  if (slots.empty()) {
    for (size_t n : sizes) slots.emplace_back(n, 0.0f);
    return;
  }
  bool match = slots.size() == sizes.size();
  for (size_t i = 0; match && i < sizes.size(); ++i) match = slots[i].size() == sizes[i];
  if (!match) throw std::logic_error(name() + ": optimizer state does not match the parameters");
}

Adam::Adam(double lr, double b1, double b2, double eps) : beta_1(b1), beta_2(b2), epsilon(eps) { learning_rate = lr; }

void Adam::step(std::vector<Parameter>& params) {
  ensure_slots(params);
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
    float* __restrict m = slots[slot++].data();
    float* __restrict v = slots[slot++].data();
    float* __restrict w = p.value.data();
    const float* __restrict g = p.grad.data();
    parallel_chunks(p.value.size(), [=](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
      }
    });
  }
}

SGD::SGD(double lr, double m) : momentum(m) { learning_rate = lr; }

void SGD::step(std::vector<Parameter>& params) {
  ensure_slots(params);
  ++iterations;
  const float lr = static_cast<float>(learning_rate), mu = static_cast<float>(momentum);
  size_t slot = 0;
  for (Parameter& p : params) {
    if (!p.trainable) continue;
    float* __restrict vel = slots[slot++].data();
    float* __restrict w = p.value.data();
    const float* __restrict g = p.grad.data();
    parallel_chunks(p.value.size(), [=](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        vel[i] = mu * vel[i] - lr * g[i];
        w[i] += vel[i];
      }
    });
  }
}

}  // namespace cnngen
