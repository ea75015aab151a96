// Flatten's and Input's run-time steps. Flatten runs no kernel: its output is its input's memory
// (NHWC flattened), and so is its gradient. The Input's output is filled by Network::forward.
#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class FlattenStep : public LayerStep {
 public:
  FlattenStep(Network& net, int node) : i_(node), input_(net.graph().nodes[node].input()) {}
  bool aliases_input(const Network&) const override { return true; }
  void backward(Network& net, Buffer) override {
    if (net.needs_gradient(input_)) net.pass_on(input_, i_);
  }

 private:
  int i_, input_;
};

class InputStep : public LayerStep {};

}  // namespace

std::unique_ptr<LayerStep> make_flatten_step(Network& net, int node) { return std::make_unique<FlattenStep>(net, node); }
std::unique_ptr<LayerStep> make_input_step(Network&, int) { return std::make_unique<InputStep>(); }

}  // namespace cnngen
