// Activation's run-time step. No kernel for linear (the gradient passes through) or for the
// network's head the loss applies; no forward kernel when its input layer applies it (the output
// is then that layer's), but always the backward, which reads the output.
#include "activation.hpp"

namespace cnngen {

namespace activation {

namespace {
// The tensor as the kernel takes it: (channels, rest) for softmax, else one dimension.
Buffer as_taken(Act act, int channels, const Buffer& b) {
  if (act != Act::softmax) return flat_view(b);
  return Buffer(const_cast<float*>(b.data()), channels, static_cast<int>(b.number_of_elements() / channels));
}
}  // namespace

void run_forward(Network& net, Network::KernelRef k, int node, Act act, int channels, Buffer in, Buffer out) {
  Buffer a = as_taken(act, channels, in), o = as_taken(act, channels, out);
  net.run(k, "activation", node, {a.raw_buffer(), o.raw_buffer()});
}

void run_backward(Network& net, Network::KernelRef k, int node, Act act, int channels, Buffer out,
                  Buffer d_out, Buffer d_in) {
  Buffer o = as_taken(act, channels, out), dg = as_taken(act, channels, d_out), dt = as_taken(act, channels, d_in);
  net.run(k, "activation backward", node, {o.raw_buffer(), dg.raw_buffer(), dt.raw_buffer()});
}

}  // namespace activation

namespace {

class ActivationStep : public LayerStep {
 public:
  ActivationStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    if (!net.has_kernel(i_, Op::activation, Pass::bwd)) return;  // linear, or the loss's head
    if (!activation_fused_into_input(net.graph(), i_)) fwd_ = net.kernel(i_, Op::activation, Pass::fwd);
    bwd_ = net.kernel(i_, Op::activation, Pass::bwd);
  }

  bool aliases_input(const Network&) const override { return !fwd_; }

  void forward(Network& net, Buffer in, Buffer out, bool) override {
    if (fwd_) activation::run_forward(net, fwd_, i_, node_.act, node_.in.c, in, out);
  }

  void backward(Network& net, Buffer g) override {
    if (!net.needs_gradient(node_.input())) return;
    if (!bwd_) return net.pass_on(node_.input(), i_);  // linear: the gradient passes through
    Buffer out = net.output(i_);
    net.emit(node_.input(), [&](Buffer& t) { activation::run_backward(net, bwd_, i_, node_.act, node_.in.c, out, g, t); });
  }

 private:
  int i_;
  const Node& node_;
  Network::KernelRef fwd_, bwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_activation_step(Network& net, int node) { return std::make_unique<ActivationStep>(net, node); }

}  // namespace cnngen
