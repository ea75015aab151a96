// LocalResponseNormalization's run-time step: one kernel each way, with the layer's bias, alpha and
// beta as the kernels' run-time arguments; backward reads the input.
#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class LocalResponseNormStep : public LayerStep {
 public:
  LocalResponseNormStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    fwd_ = net.kernel(i_, Op::local_response_norm, Pass::fwd);
    bwd_ = net.kernel(i_, Op::local_response_norm, Pass::bwd);
  }

  void forward(Network& net, Buffer in, Buffer out, bool) override {
    float bias = node_.settings[local_response_norm::bias], alpha = node_.settings[local_response_norm::alpha],
          beta = node_.settings[local_response_norm::beta];
    net.run(fwd_, "forward", i_, {in.raw_buffer(), &bias, &alpha, &beta, out.raw_buffer()});
  }

  void backward(Network& net, Buffer g) override {
    if (!net.needs_gradient(node_.input())) return;
    Buffer in = net.output(node_.input());
    float bias = node_.settings[local_response_norm::bias], alpha = node_.settings[local_response_norm::alpha],
          beta = node_.settings[local_response_norm::beta];
    net.emit(node_.input(), [&](Buffer& t) {
      net.run(bwd_, "backward", i_, {in.raw_buffer(), g.raw_buffer(), &bias, &alpha, &beta, t.raw_buffer()});
    });
  }

 private:
  int i_;
  const Node& node_;
  Network::KernelRef fwd_, bwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_local_response_norm_step(Network& net, int node) {
  return std::make_unique<LocalResponseNormStep>(net, node);
}

}  // namespace cnngen
