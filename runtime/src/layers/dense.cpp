// Dense's run-time step: the matrix product, then its activation's kernels (none for the head whose
// activation the loss applies), the pre-activation kept for the activation's backward.
#include "activation.hpp"
#include "initializers.hpp"

namespace cnngen {

namespace {

class DenseStep : public LayerStep {
 public:
  DenseStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    fwd_ = net.kernel(i_, Op::dense, Pass::fwd);
    bwd_data_ = net.kernel(i_, Op::dense, Pass::bwd_data);
    bwd_weights_ = net.kernel(i_, Op::dense, Pass::bwd_weights);
    if (net.has_kernel(i_, Op::activation, Pass::fwd)) {
      act_fwd_ = net.kernel(i_, Op::activation, Pass::fwd);
      act_bwd_ = net.kernel(i_, Op::activation, Pass::bwd);
    }
    w_ = net.add_parameter(i_, "kernel", {node_.in.c, node_.units}, true);
    if (node_.use_bias) b_ = net.add_parameter(i_, "bias", {node_.units}, true);
  }

  void initialize(std::vector<Parameter>& p, uint64_t seed) override {
    std::mt19937_64 rng = init::layer_stream(seed, node_);
    init::glorot_uniform(p[w_].value, node_.in.c, node_.units, rng);
    if (b_ >= 0) std::fill(p[b_].value.begin(), p[b_].value.end(), 0.0f);
  }

  void allocate(Network&, int capacity) override {
    if (act_fwd_) pre_ = Buffer(halide_dims(node_.out, capacity)), d_pre_ = Buffer(halide_dims(node_.out, capacity));
  }

  void forward(Network& net, Buffer in, Buffer out, bool) override {
    Buffer w = net.param_buffer(w_, false), b = b_ >= 0 ? net.param_buffer(b_, false) : Buffer();
    Buffer dst = act_fwd_ ? batch_view(pre_, net.batch()) : out;
    std::vector<void*> args{in.raw_buffer(), w.raw_buffer()};
    if (b_ >= 0) args.push_back(b.raw_buffer());
    args.push_back(dst.raw_buffer());
    net.run(fwd_, "forward", i_, args);
    if (act_fwd_) activation::run_forward(net, act_fwd_, i_, node_.act, node_.units, dst, out);
  }

  void backward(Network& net, Buffer g) override {
    Buffer gp = g;
    if (act_bwd_) {
      gp = batch_view(d_pre_, net.batch());
      activation::run_backward(net, act_bwd_, i_, node_.act, node_.units, net.output(i_), g, gp);
    }
    Buffer in = net.output(node_.input());
    net.weight_gradient(bwd_weights_, i_, in, gp, w_, b_);
    if (net.needs_gradient(node_.input())) {
      Buffer w = net.param_buffer(w_, false);
      net.emit(node_.input(), [&](Buffer& t) {
        net.run(bwd_data_, "input gradient", i_, {gp.raw_buffer(), w.raw_buffer(), t.raw_buffer()});
      });
    }
  }

 private:
  int i_;
  const Node& node_;
  Network::KernelRef fwd_, bwd_data_, bwd_weights_, act_fwd_, act_bwd_;
  int w_ = -1, b_ = -1;
  Buffer pre_, d_pre_;  // the product before the activation, and its gradient
};

}  // namespace

std::unique_ptr<LayerStep> make_dense_step(Network& net, int node) { return std::make_unique<DenseStep>(net, node); }

}  // namespace cnngen
