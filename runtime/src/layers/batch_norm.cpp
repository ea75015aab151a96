// BatchNormalization's run-time step: batch statistics in training (and the moving statistics they
// update), the moving statistics at inference, unless the convolution before it applies it there.
// A vector (after a Dense) runs the 1x1 image's kernels on image views of its tensors.
// Synchronised across the ranks of a data-parallel training (Network::sync_batch_norm), the
// statistics and the backward's sums are those of the global batch: reduced over the ranks between
// a local pass that sums and one that applies, both here (the kernels compute one process's batch).
#include <cmath>
#include <vector>

#include "initializers.hpp"

namespace cnngen {

namespace {

// x: a dense (c, w, h, n) tensor: `pixels` rows of c floats, those of sample i after sample i - 1's.
int64_t pixels_per_sample(const Network& net, const Buffer& x) {
  return static_cast<int64_t>(x.number_of_elements()) / x.dim(0).extent() / net.batch();
}

// The global batch's mean and biased variance per channel, in two exact passes (the mean first,
// then the squared deviations from it), each summed in double per segment of the batch and over the
// ranks (Network::sum_over_batch). Returns the global number of pixels.
double global_statistics(Network& net, const Buffer& x, Buffer& mean, Buffer& var) {
  const int c = x.dim(0).extent();
  const int64_t per_sample = pixels_per_sample(net, x);
  const std::vector<Share> segments = net.segments();
  const float* in = x.data();
  std::vector<double> sums(segments.size() * (c + 1), 0.0);
  for (size_t s = 0; s < segments.size(); ++s) {
    double* part = sums.data() + s * (c + 1);
    for (int64_t p = segments[s].begin * per_sample; p < segments[s].end * per_sample; ++p)
      for (int k = 0; k < c; ++k) part[k] += in[p * c + k];
    part[c] = static_cast<double>(segments[s].size() * per_sample);
  }
  const std::vector<double> total = net.sum_over_batch(sums, c + 1);
  const double count = total[c];
  for (int k = 0; k < c; ++k) mean(k) = static_cast<float>(total[k] / count);
  std::vector<double> squares(segments.size() * c, 0.0);
  for (size_t s = 0; s < segments.size(); ++s) {
    double* part = squares.data() + s * c;
    for (int64_t p = segments[s].begin * per_sample; p < segments[s].end * per_sample; ++p)
      for (int k = 0; k < c; ++k) {
        const double d = double(in[p * c + k]) - mean(k);
        part[k] += d * d;
      }
  }
  const std::vector<double> deviations = net.sum_over_batch(squares, c);
  for (int k = 0; k < c; ++k) var(k) = static_cast<float>(deviations[k] / count);
  return count;
}

// The backward of y = gamma xhat + beta over the global batch: dbeta = sum g, dgamma = sum g xhat
// (summed as the statistics are), dx = gamma rstd (g - dbeta / M - xhat dgamma / M), M pixels in all.
void global_backward(Network& net, const Buffer& x, const Buffer& g, const Buffer& gamma, const Buffer& mean,
                     const Buffer& var, float eps, Buffer* dx, Buffer& dgamma, Buffer& dbeta) {
  const int c = x.dim(0).extent();
  const int64_t per_sample = pixels_per_sample(net, x);
  const std::vector<Share> segments = net.segments();
  const float *in = x.data(), *grad = g.data();
  std::vector<float> rstd(c);
  for (int k = 0; k < c; ++k) rstd[k] = 1.0f / std::sqrt(var(k) + eps);
  std::vector<double> sums(segments.size() * (2 * c + 1), 0.0);  // per segment: sum g, sum g xhat, pixels
  for (size_t s = 0; s < segments.size(); ++s) {
    double* part = sums.data() + s * (2 * c + 1);
    for (int64_t p = segments[s].begin * per_sample; p < segments[s].end * per_sample; ++p)
      for (int k = 0; k < c; ++k) {
        const float gv = grad[p * c + k];
        part[k] += gv;
        part[c + k] += double(gv) * ((in[p * c + k] - mean(k)) * rstd[k]);
      }
    part[2 * c] = static_cast<double>(segments[s].size() * per_sample);
  }
  const std::vector<double> total = net.sum_over_batch(sums, 2 * c + 1);
  const double count = total[2 * c];
  for (int k = 0; k < c; ++k) dbeta(k) = static_cast<float>(total[k]), dgamma(k) = static_cast<float>(total[c + k]);
  if (!dx) return;
  std::vector<float> scale(c), mean_g(c), mean_gx(c);
  for (int k = 0; k < c; ++k)
    scale[k] = gamma(k) * rstd[k], mean_g[k] = static_cast<float>(total[k] / count),
    mean_gx[k] = static_cast<float>(total[c + k] / count);
  float* out = dx->data();
  const int64_t pixels = per_sample * net.batch();
  for (int64_t p = 0; p < pixels; ++p)
    for (int k = 0; k < c; ++k) {
      const float xhat = (in[p * c + k] - mean(k)) * rstd[k];
      out[p * c + k] = scale[k] * (grad[p * c + k] - mean_g[k] - xhat * mean_gx[k]);
    }
}

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
    double count = double(node_.in.h) * node_.in.w * net.batch();
    if (net.sync_batch_norm()) {  // the global batch's statistics, applied as the inference kernel applies its own
      count = global_statistics(net, in, mean_, var_);
      net.run(infer_fwd_, "forward", i_, {in.raw_buffer(), gamma.raw_buffer(), beta.raw_buffer(), mean_.raw_buffer(),
                                          var_.raw_buffer(), &eps, out.raw_buffer()});
    } else {
      net.run(train_fwd_, "forward", i_, {in.raw_buffer(), gamma.raw_buffer(), beta.raw_buffer(), &eps, out.raw_buffer(),
                                          mean_.raw_buffer(), var_.raw_buffer()});
    }
    // Moving statistics as Keras: m = momentum m + (1 - momentum) batch; the variance unbiased
    // (M / (M - 1)), as TensorFlow's fused batch norm and PyTorch keep it. While estimating,
    // the weight of batch k is 1/k instead: the running mean of all batches seen.
    const float unbias = count > 1 ? static_cast<float>(count / (count - 1)) : 1.0f;
    const int estimated = net.batch_norm_estimate_batches();
    const float keep = estimated > 0 ? 1.0f - 1.0f / estimated : node_.settings[batch_norm::momentum];
    for (int c = 0; c < node_.in.c; ++c) {
      mm(c) = keep * mm(c) + (1 - keep) * mean_(c);
      mv(c) = keep * mv(c) + (1 - keep) * var_(c) * unbias;
    }
  }

  bool sums_own_gradients(const Network& net) const override { return net.sync_batch_norm(); }

  void backward(Network& net, Buffer g_any) override {
    Buffer in = image_view(net.output(node_.input())), g = image_view(g_any);
    Buffer gamma = net.param_buffer(gamma_, false), dgamma = net.param_buffer(gamma_, true);
    Buffer dbeta = net.param_buffer(beta_, true);
    float eps = node_.settings[batch_norm::epsilon];
    if (net.sync_batch_norm()) {
      if (net.needs_gradient(node_.input()))
        net.emit(node_.input(), [&](Buffer& t_any) {
          Buffer t = image_view(t_any);
          global_backward(net, in, g, gamma, mean_, var_, eps, &t, dgamma, dbeta);
        });
      else
        global_backward(net, in, g, gamma, mean_, var_, eps, nullptr, dgamma, dbeta);
      return;
    }
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
