// Dropout's run-time step: in training the kernels with the batch's per-sample seeds
// (Network::sample_seeds); at inference a copy of the input.
#include <cstring>

#include <cnngen/network.hpp>

namespace cnngen {

namespace {

class DropoutStep : public LayerStep {
 public:
  DropoutStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    fwd_ = net.kernel(i_, Op::dropout, Pass::train_fwd);
    bwd_ = net.kernel(i_, Op::dropout, Pass::bwd);
  }

  void forward(Network& net, Buffer in, Buffer out, bool training) override {
    if (!training) {
      std::memcpy(out.data(), in.data(), sizeof(float) * in.number_of_elements());
      return;
    }
    run(net, fwd_, in, out);
  }

  void backward(Network& net, Buffer g) override {
    if (!net.needs_gradient(node_.input())) return;
    net.emit(node_.input(), [&](Buffer& t) { run(net, bwd_, g, t); });
  }

 private:
  void run(Network& net, Network::KernelRef k, const Buffer& from, const Buffer& to) {
    Buffer a = flat_view(from), b = flat_view(to);
    SeedBuffer seeds(const_cast<uint32_t*>(net.sample_seeds().data()), net.batch());
    float rate = node_.settings[dropout::rate];
    net.run(k, "dropout", i_, {a.raw_buffer(), seeds.raw_buffer(), &rate, b.raw_buffer()});
  }

  using SeedBuffer = Halide::Runtime::Buffer<uint32_t>;
  int i_;
  const Node& node_;
  Network::KernelRef fwd_, bwd_;
};

}  // namespace

std::unique_ptr<LayerStep> make_dropout_step(Network& net, int node) { return std::make_unique<DropoutStep>(net, node); }

}  // namespace cnngen
