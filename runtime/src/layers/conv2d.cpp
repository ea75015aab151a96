// Conv2D's run-time step: the three passes of training, and at inference the kernel with the
// BatchNorm (and Add, activation) after it applied (fusion.hpp's inference_fusion).
#include <cmath>
#include <utility>

#include "activation.hpp"
#include "initializers.hpp"

namespace cnngen {

namespace {

class Conv2dStep : public LayerStep {
 public:
  Conv2dStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    fwd_ = net.kernel(i_, Op::conv2d, Pass::fwd);
    bwd_data_ = net.kernel(i_, Op::conv2d, Pass::bwd_data);
    bwd_weights_ = net.kernel(i_, Op::conv2d, Pass::bwd_weights);
    if (node_.act != Act::linear) act_bwd_ = net.kernel(i_, Op::activation, Pass::bwd);
    fusion_ = inference_fusion(net.graph(), i_);
    if (fusion_.batch_norm >= 0) {
      fwd_infer_ = net.kernel(i_, Op::conv2d, Pass::bn_infer_fwd);
      block_weights_ = net.kernel(i_, Op::conv2d, Pass::block_weights);
      scale_ = Buffer(node_.units), shift_ = Buffer(node_.units);
    }
    w_ = net.add_parameter(i_, "kernel", {node_.kernel.h, node_.kernel.w, node_.in.c, node_.units}, true);
    if (node_.use_bias) b_ = net.add_parameter(i_, "bias", {node_.units}, true);
  }

  void initialize(std::vector<Parameter>& p, uint64_t seed) override {
    std::mt19937_64 rng = init::layer_stream(seed, node_);
    const double receptive = double(node_.kernel.h) * node_.kernel.w;
    init::glorot_uniform(p[w_].value, receptive * node_.in.c, receptive * node_.units, rng);
    if (b_ >= 0) std::fill(p[b_].value.begin(), p[b_].value.end(), 0.0f);
  }

  void weights_changed() override { w_blocked_current_ = false; }

  void forward(Network& net, Buffer in, Buffer out, bool training) override {
    if (!training && fwd_infer_) return inference(net, in);
    Buffer w = net.param_buffer(w_, false), b = b_ >= 0 ? net.param_buffer(b_, false) : Buffer();
    std::vector<void*> args{in.raw_buffer(), w.raw_buffer()};
    if (b_ >= 0) args.push_back(b.raw_buffer());
    args.push_back(out.raw_buffer());
    net.run(fwd_, "forward", i_, args);
  }

  void backward(Network& net, Buffer g) override {
    Buffer scratch;
    if (act_bwd_) {  // the gradient before the forward's activation= (read from its output)
      scratch = net.borrow(node_.out);
      Buffer d_pre = batch_view(scratch, net.batch());
      activation::run_backward(net, act_bwd_, i_, node_.act, node_.units, net.output(i_), g, d_pre);
      g = d_pre;
    }
    Buffer in = net.output(node_.input());
    net.weight_gradient(bwd_weights_, i_, in, g, w_, b_);
    if (net.needs_gradient(node_.input())) {
      Buffer w = net.param_buffer(w_, false);
      net.emit(node_.input(), [&](Buffer& t) {
        net.run(bwd_data_, "input gradient", i_, {g.raw_buffer(), w.raw_buffer(), t.raw_buffer()});
      });
    }
    if (scratch.data()) net.give_back(scratch);
  }

 private:
  void inference(Network& net, Buffer in) {
    const Node& bn_node = net.graph().nodes[fusion_.batch_norm];
    const std::vector<Parameter>& p = std::as_const(net).parameters();
    // The BatchNorm's parameters, made after this step's: gamma, beta, moving mean, moving variance.
    if (bn_first_ < 0) bn_first_ = parameter_index(p, bn_node, "gamma");
    const FloatArray &gamma = p[bn_first_].value, &beta = p[bn_first_ + 1].value;
    const FloatArray &mean = p[bn_first_ + 2].value, &var = p[bn_first_ + 3].value;
    for (int c = 0; c < node_.units; ++c) {  // as batch_norm_infer_fwd computes them (codegen/batch_norm.cpp)
      const float scale = gamma[c] / std::sqrt(var[c] + bn_node.settings[batch_norm::epsilon]);
      scale_(c) = scale;
      shift_(c) = beta[c] - mean[c] * scale + (b_ >= 0 ? p[b_].value[c] * scale : 0.0f);
    }
    // The weights in the kernel's order, blocked once after they change rather than in every call:
    // re-blocking all of ResNet50's (94 MB) cost a batch of 32 about 10% of its inference time, and
    // most of a batch of 1's.
    if (!w_blocked_current_) {
      w_blocked_.resize(p[w_].value.size());
      Buffer w = net.param_buffer(w_, false), blocked(w_blocked_.data(), static_cast<int>(w_blocked_.size()));
      net.run(block_weights_, "weight layout", i_, {w.raw_buffer(), blocked.raw_buffer()});
      w_blocked_current_ = true;
    }
    Buffer w(w_blocked_.data(), static_cast<int>(w_blocked_.size()));
    Buffer out = net.output(fusion_.output), residual;
    std::vector<void*> args{in.raw_buffer(), w.raw_buffer(), scale_.raw_buffer(), shift_.raw_buffer()};
    if (fusion_.residual >= 0) {
      residual = net.output(fusion_.residual);
      args.push_back(residual.raw_buffer());
    }
    args.push_back(out.raw_buffer());
    net.run(fwd_infer_, "inference forward", i_, args);
  }

  static int parameter_index(const std::vector<Parameter>& p, const Node& n, const char* what) {
    const std::string name = std::string(n.name.view()) + "/" + what;
    for (int k = 0; k < static_cast<int>(p.size()); ++k)
      if (p[k].name == name) return k;
    throw std::logic_error("no parameter " + name);
  }

  int i_;
  const Node& node_;
  Network::KernelRef fwd_, bwd_data_, bwd_weights_, act_bwd_, fwd_infer_, block_weights_;
  InferenceFusion fusion_;
  int w_ = -1, b_ = -1, bn_first_ = -1;
  Buffer scale_, shift_;   // the fused BatchNorm's per-channel affine map
  FloatArray w_blocked_;   // the weights as conv2d_block_weights lays them out, while w_blocked_current_
  bool w_blocked_current_ = false;
};

}  // namespace

std::unique_ptr<LayerStep> make_conv2d_step(Network& net, int node) { return std::make_unique<Conv2dStep>(net, node); }

}  // namespace cnngen
