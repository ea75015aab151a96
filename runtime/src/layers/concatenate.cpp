// Concatenate's run-time step: each input copied into its channels of the output (a crop of it),
// and each input's gradient cut from the output's.
#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class ConcatenateStep : public LayerStep {
 public:
  ConcatenateStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    for (int k = 0, offset = 0; k < node_.arity; offset += net.graph().nodes[node_.input(k)].out.c, ++k) {
      parts_.push_back({net.kernel(i_, Op::concatenate, Pass::fwd, k), net.kernel(i_, Op::concatenate, Pass::bwd, k),
                        offset, net.graph().nodes[node_.input(k)].out.c});
    }
  }

  void forward(Network& net, Buffer, Buffer out, bool) override {
    for (int k = 0; k < node_.arity; ++k) {
      const Part& p = parts_[k];
      Buffer in = net.output(node_.input(k)), slice = out.cropped(0, p.offset, p.channels);
      net.run(p.fwd, "forward", i_, {in.raw_buffer(), slice.raw_buffer()});
    }
  }

  void backward(Network& net, Buffer g) override {
    for (int k = 0; k < node_.arity; ++k)
      if (net.needs_gradient(node_.input(k)))
        net.emit(node_.input(k), [&](Buffer& t) { net.run(parts_[k].bwd, "backward", i_, {g.raw_buffer(), t.raw_buffer()}); });
  }

 private:
  struct Part {
    Network::KernelRef fwd, bwd;
    int offset, channels;
  };
  int i_;
  const Node& node_;
  std::vector<Part> parts_;
};

}  // namespace

std::unique_ptr<LayerStep> make_concatenate_step(Network& net, int node) { return std::make_unique<ConcatenateStep>(net, node); }

}  // namespace cnngen
