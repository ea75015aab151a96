// Optimizers over a network's trainable parameters, with Keras's defaults and update rules.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "network.hpp"

namespace cnngen {

// The most state vectors any optimizer keeps per trainable parameter (Adam's m and v).
inline constexpr int kMaxSlotsPerParameter = 2;

// The number of state vectors the optimizer of this name keeps per trainable parameter, or -1 for
// a name no optimizer has (what a checkpoint reader checks a file's optimizer against).
int slots_per_parameter(const std::string& optimizer_name);
// The sizes of the state vectors an optimizer keeping `per_parameter` of them has for `params`.
std::vector<size_t> slot_sizes(const std::vector<Parameter>& params, int per_parameter);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Throws std::logic_error when `slots` are not the ones this optimizer keeps for `params`.
  virtual void step(std::vector<Parameter>& params) = 0;
  virtual std::string name() const = 0;
  double learning_rate = 1e-3;
  // The state a checkpoint keeps so that a resumed training continues exactly.
  int64_t iterations = 0;
  std::vector<std::vector<float>> slots;  // per trainable parameter: Adam m and v, or SGD velocity

 protected:
  // Makes the slots on the first step; checks them on every later one.
  void ensure_slots(const std::vector<Parameter>& params);
};

// Keras Adam: lr 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7 (added to sqrt(v_hat)).
class Adam : public Optimizer {
 public:
  explicit Adam(double lr = 1e-3, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
  void step(std::vector<Parameter>& params) override;
  std::string name() const override { return "adam"; }
  double beta_1, beta_2, epsilon;
};

// Keras SGD with momentum: v = momentum v - lr g; w += v.
class SGD : public Optimizer {
 public:
  explicit SGD(double lr = 0.01, double momentum = 0.0);
  void step(std::vector<Parameter>& params) override;
  std::string name() const override { return "sgd"; }
  double momentum;
};

}  // namespace cnngen
