// BatchNormalization's run-time step: batch statistics in training (and the moving statistics they
// update), the moving statistics at inference, unless the convolution before it applies it there.
// A vector (after a Dense) runs the 1x1 image's kernels on image views of its tensors.
#include "initializers.hpp"

namespace cnngen {

namespace {

class BatchNormStep : public LayerStep {
 public:
  BatchNormStep(Network& net, int node) : i_(node), node_(net.graph().nodes[node]) {
    train_fwd_ = net.kernel(i_, Op::batch_norm, Pass::train_fwd);
    infer_fwd_ = net.kernel(i_, Op::batch_norm, Pass::infer_fwd);
    bwd_ = net.kernel(i_, Op::batch_norm, Pass::bwd);
    const int c = node_.in.c;
    gamma_ = net.add_parameter(i_, "gamma", {c}, true);
    beta_ = net.add_parameter(i_, "beta", {c}, true);
    moving_mean_ = net.add_parameter(i_, "moving_mean", {c}, false);
    moving_var_ = net.add_parameter(i_, "moving_variance", {c}, false);
  }

  void initialize(std::vector<Parameter>& p, uint64_t) override {
    for (auto [index, value] : {std::pair{gamma_, 1.0f}, {beta_, 0.0f}, {moving_mean_, 0.0f}, {moving_var_, 1.0f}})
      std::fill(p[index].value.begin(), p[index].value.end(), value);
  }

  void allocate(Network&, int) override { mean_ = Buffer(node_.in.c), var_ = Buffer(node_.in.c); }

  void forward(Network& net, Buffer in_any, Buffer out_any, bool training) override {
    Buffer in = image_view(in_any), out = image_view(out_any);
    Buffer gamma = net.param_buffer(gamma_, false), beta = net.param_buffer(beta_, false);
    Buffer mm = net.param_buffer(moving_mean_, false), mv = net.param_buffer(moving_var_, false);
    float eps = node_.settings[batch_norm::epsilon];
    if (!training) {
      net.run(infer_fwd_, "forward", i_, {in.raw_buffer(), gamma.raw_buffer(), beta.raw_buffer(), mm.raw_buffer(),
                                          mv.raw_buffer(), &eps, out.raw_buffer()});
      return;
    }
    net.run(train_fwd_, "forward", i_, {in.raw_buffer(), gamma.raw_buffer(), beta.raw_buffer(), &eps, out.raw_buffer(),
                                        mean_.raw_buffer(), var_.raw_buffer()});
    // Moving statistics as Keras: m = momentum m + (1 - momentum) batch; the variance unbiased
    // (M / (M - 1)), as TensorFlow's fused batch norm and PyTorch keep it. While estimating,
    // the weight of batch k is 1/k instead: the running mean of all batches seen.
    const double count = double(node_.in.h) * node_.in.w * net.batch();
    const float unbias = count > 1 ? static_cast<float>(count / (count - 1)) : 1.0f;
    const int estimated = net.batch_norm_estimate_batches();
    const float keep = estimated > 0 ? 1.0f - 1.0f / estimated : node_.settings[batch_norm::momentum];
    for (int c = 0; c < node_.in.c; ++c) {
      mm(c) = keep * mm(c) + (1 - keep) * mean_(c);
      mv(c) = keep * mv(c) + (1 - keep) * var_(c) * unbias;
    }
  }

  void backward(Network& net, Buffer g_any) override {
    Buffer in = image_view(net.output(node_.input())), g = image_view(g_any);
    Buffer gamma = net.param_buffer(gamma_, false), dgamma = net.param_buffer(gamma_, true);
    Buffer dbeta = net.param_buffer(beta_, true);
    float eps = node_.settings[batch_norm::epsilon];
    const auto bwd = [&](Buffer& t_any) {
      Buffer t = image_view(t_any);
      net.run(bwd_, "backward", i_, {in.raw_buffer(), gamma.raw_buffer(), mean_.raw_buffer(), var_.raw_buffer(),
                                      g.raw_buffer(), &eps, t.raw_buffer(), dgamma.raw_buffer(), dbeta.raw_buffer()});
    };
    if (net.needs_gradient(node_.input())) {
      net.emit(node_.input(), bwd);
    } else {  // gamma and beta still need their gradients
      Buffer scratch = net.borrow(node_.in), t = batch_view(scratch, net.batch());
      bwd(t);
      net.give_back(scratch);
    }
  }

 private:
  int i_;
  const Node& node_;
  Network::KernelRef train_fwd_, infer_fwd_, bwd_;
  int gamma_ = -1, beta_ = -1, moving_mean_ = -1, moving_var_ = -1;
  Buffer mean_, var_;  // the last training batch's statistics, which backward reads
};

}  // namespace

std::unique_ptr<LayerStep> make_batch_norm_step(Network& net, int node) { return std::make_unique<BatchNormStep>(net, node); }

}  // namespace cnngen
