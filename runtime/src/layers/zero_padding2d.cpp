// ZeroPadding2D's run-time step: pad forward, crop backward.
#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class ZeroPadding2dStep : public LayerStep {
 public:
  ZeroPadding2dStep(Network& net, int node) : i_(node), input_(net.graph().nodes[node].input()) {
    fwd_ = net.kernel(i_, Op::zero_padding2d, Pass::fwd);
    bwd_ = net.kernel(i_, Op::zero_padding2d, Pass::bwd);
  }

  void forward(Network& net, Buffer in, Buffer out, bool) override {
    net.run(fwd_, "forward", i_, {in.raw_buffer(), out.raw_buffer()});
  }

  void backward(Network& net, Buffer g) override {
    if (!net.needs_gradient(input_)) return;  // the stem's padding of the image needs none
    net.emit(input_, [&](Buffer& t) { net.run(bwd_, "backward", i_, {g.raw_buffer(), t.raw_buffer()}); });
  }

 private:
  int i_, input_;
  Network::KernelRef fwd_, bwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_zero_padding2d_step(Network& net, int node) {
  return std::make_unique<ZeroPadding2dStep>(net, node);
}

}  // namespace cnngen
