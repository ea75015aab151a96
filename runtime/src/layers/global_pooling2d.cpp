// GlobalAveragePooling2D's and GlobalMaxPooling2D's steps: the pooling kernels of a window of the
// whole image, their (C) output seen as the (1, 1, C) image those kernels write.
#include <cnngen/network.hpp>

namespace cnngen {

namespace {

// (c, n) as (c, 1, 1, n): the same memory.
Buffer as_image(const Buffer& b) {
  return Buffer(const_cast<float*>(b.data()), {b.dim(0).extent(), 1, 1, b.dim(1).extent()});
}

class GlobalPool2dStep : public LayerStep {
 public:
  GlobalPool2dStep(Network& net, int node, Op pool) : i_(node), input_(net.graph().nodes[node].input()), reads_input_(pool == Op::max_pool2d) {
    fwd_ = net.kernel(i_, pool, Pass::fwd);
    bwd_ = net.kernel(i_, pool, Pass::bwd);
  }

  void forward(Network& net, Buffer in, Buffer out, bool) override {
    Buffer o = as_image(out);
    net.run(fwd_, "forward", i_, {in.raw_buffer(), o.raw_buffer()});
  }

  void backward(Network& net, Buffer g) override {
    if (!net.needs_gradient(input_)) return;
    Buffer in = net.output(input_), gi = as_image(g);
    net.emit(input_, [&](Buffer& t) {
      std::vector<void*> args;
      if (reads_input_) args.push_back(in.raw_buffer());
      args.push_back(gi.raw_buffer()), args.push_back(t.raw_buffer());
      net.run(bwd_, "backward", i_, args);
    });
  }

 private:
  int i_, input_;
  bool reads_input_;
  Network::KernelRef fwd_, bwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_global_avg_pool2d_step(Network& net, int node) {
  return std::make_unique<GlobalPool2dStep>(net, node, Op::avg_pool2d);
}
std::unique_ptr<LayerStep> make_global_max_pool2d_step(Network& net, int node) {
  return std::make_unique<GlobalPool2dStep>(net, node, Op::max_pool2d);
}

}  // namespace cnngen
