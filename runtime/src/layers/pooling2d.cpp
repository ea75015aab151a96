// The run-time step of the pools, MaxPooling2D's and AveragePooling2D's and the global ones: one
// kernel each way; the max pool's backward reads its input to find each window's maximum.
#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class Pool2dStep : public LayerStep {
 public:
  Pool2dStep(Network& net, int node, Op op) : i_(node), node_(net.graph().nodes[node]), reads_input_(op == Op::max_pool2d) {
    fwd_ = net.kernel(i_, op, Pass::fwd);
    bwd_ = net.kernel(i_, op, Pass::bwd);
  }

  // A global pool's output (C) is written and read as the 1x1 image its window pool produces.
  void forward(Network& net, Buffer in, Buffer out, bool) override {
    Buffer o = image_view(out);
    net.run(fwd_, "forward", i_, {in.raw_buffer(), o.raw_buffer()});
  }

  void backward(Network& net, Buffer g_any) override {
    if (!net.needs_gradient(node_.input())) return;
    Buffer in = net.output(node_.input()), g = image_view(g_any);
    net.emit(node_.input(), [&](Buffer& t) {
      std::vector<void*> args;
      if (reads_input_) args.push_back(in.raw_buffer());
      args.push_back(g.raw_buffer()), args.push_back(t.raw_buffer());
      net.run(bwd_, "backward", i_, args);
    });
  }

 private:
  int i_;
  const Node& node_;
  bool reads_input_;
  Network::KernelRef fwd_, bwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_max_pool2d_step(Network& net, int node) { return std::make_unique<Pool2dStep>(net, node, Op::max_pool2d); }
std::unique_ptr<LayerStep> make_avg_pool2d_step(Network& net, int node) { return std::make_unique<Pool2dStep>(net, node, Op::avg_pool2d); }

// GlobalAveragePooling2D and GlobalMaxPooling2D run these pools' kernels with a whole-image window
// (dsl/cnngen/layers/global_pooling2d.hpp): the same step.
std::unique_ptr<LayerStep> make_global_avg_pool2d_step(Network& net, int node) {
  return std::make_unique<Pool2dStep>(net, node, Op::avg_pool2d);
}
std::unique_ptr<LayerStep> make_global_max_pool2d_step(Network& net, int node) {
  return std::make_unique<Pool2dStep>(net, node, Op::max_pool2d);
}

}  // namespace cnngen
