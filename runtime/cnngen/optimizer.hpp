// Optimizers over a network's trainable parameters, with Keras's defaults and update rules.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "network.hpp"

namespace cnngen {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual void step(std::vector<Parameter>& params) = 0;
  virtual std::string name() const = 0;
  double learning_rate = 1e-3;
  // The state a checkpoint keeps so that a resumed training continues exactly.
  int64_t iterations = 0;
  std::vector<std::vector<float>> slots;  // per trainable parameter: Adam m and v, or SGD velocity
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
