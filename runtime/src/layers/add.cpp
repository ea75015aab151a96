// Add's run-time step: one kernel forward (with the activation that alone reads it applied, unless
// a convolution applies the Add at inference); backward hands the gradient to both inputs, a copy
// to the second (the shortcut) and the buffer itself to the first.
#include <cstring>

#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class AddStep : public LayerStep {
 public:
  AddStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) { fwd_ = net.kernel(i_, Op::add, Pass::fwd); }

  void forward(Network& net, Buffer in, Buffer out, bool) override {
    Buffer a = flat_view(in), b = flat_view(net.output(node_.input(1))), o = flat_view(out);
    net.run(fwd_, "forward", i_, {a.raw_buffer(), b.raw_buffer(), o.raw_buffer()});
  }

  void backward(Network& net, Buffer g) override {
    if (net.needs_gradient(node_.input(1)))
      net.emit(node_.input(1), [&](Buffer& t) { std::memcpy(t.data(), g.data(), sizeof(float) * t.number_of_elements()); });
    if (net.needs_gradient(node_.input(0))) net.pass_on(node_.input(0), i_);
  }

 private:
  int i_;
  const Node& node_;
  Network::KernelRef fwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_add_step(Network& net, int node) { return std::make_unique<AddStep>(net, node); }

}  // namespace cnngen
