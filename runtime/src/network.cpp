#include <cnngen/network.hpp>

#include <HalideRuntime.h>
#include <xmmintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

namespace cnngen {

namespace {

// Halide reports a failed kernel (a buffer of the wrong shape, say) through this handler; the
// executor turns it into an exception naming the layer, rather than Halide's default abort path.
std::mutex halide_error_mutex;
std::string halide_last_error;

extern "C" void capture_halide_error(void*, const char* msg) {
  std::lock_guard lock(halide_error_mutex);
  halide_last_error = msg ? msg : "";
}

std::string take_halide_error() {
  std::lock_guard lock(halide_error_mutex);
  return std::exchange(halide_last_error, {});
}

std::vector<int> halide_dims(const Shape& s, int n) {
  return s.rank == 3 ? std::vector<int>{s.c, s.w, s.h, n} : std::vector<int>{s.c, n};
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// Arithmetic on denormal floats (tiny activations and gradients) goes through a microcode assist of
// ~100 cycles on x86. TensorFlow, whose Keras the course uses, runs its CPU kernels with denormals
// flushed to zero (FTZ: results; DAZ: inputs), and so does cnngen: it costs no accuracy a float32
// network can use. Measured on a freshly initialised ResNet50's inference, three alternating runs
// each: 151-162 images/s with, 140-157 without; a few percent, inside this VM's noise. MXCSR is per
// thread: Halide's worker threads, created on the first parallel loop, inherit it from their creator.
void flush_denormals_to_zero() { _mm_setcsr(_mm_getcsr() | 0x8040); }

void add_into(const Buffer& dst, const Buffer& src) {
  float* d = dst.data();
  const float* s = src.data();
  const int64_t count = static_cast<int64_t>(dst.number_of_elements());
  for (int64_t i = 0; i < count; ++i) d[i] += s[i];
}

}  // namespace

Buffer batch_view(const Buffer& b, int n) { return b.cropped(b.dimensions() - 1, 0, n); }

Buffer flat_view(const Buffer& b) {
  return Buffer(const_cast<float*>(b.data()), static_cast<int>(b.number_of_elements()));
}

Network::Network(GraphView graph, const KernelTable& kernels) : graph_(graph), kernels_(kernels) {
  halide_set_error_handler(capture_halide_error);
  flush_denormals_to_zero();
  profiling_ = std::getenv("CNNGEN_PROFILE") != nullptr;
  const int count = static_cast<int>(graph_.nodes.size());
  if (count == 0 || graph_.nodes[0].op != Op::input)
    throw std::invalid_argument("model " + std::string(graph_.name) + " does not start with an Input layer");
  slots_.resize(count);
  const auto add_param = [&](const Node& n, const char* what, std::vector<int> shape, bool trainable) {
    Parameter p{std::string(n.name.view()) + "/" + what, shape, trainable, {}, {}};
    int64_t size = 1;
    for (int d : shape) size *= d;
    p.value.assign(size, 0.0f);
    if (trainable) p.grad.assign(size, 0.0f);
    params_.push_back(std::move(p));
    return static_cast<int>(params_.size()) - 1;
  };
  for (int i = 0; i < count; ++i) {
    const Node& n = graph_.nodes[i];
    Slot& s = slots_[i];
    const bool act_kernel = n.act != Act::linear && !is_fused_head(graph_, i);
    const bool fused_into_input = activation_fused_into_input(graph_, i);  // no forward kernel
    switch (n.op) {
      case Op::input: case Op::flatten: break;
      case Op::zero_padding2d: s.fwd = need(i, Kernel::zeropad_fwd), s.bwd_data = need(i, Kernel::zeropad_bwd); break;
      case Op::conv2d:
        s.fwd = need(i, Kernel::conv_fwd), s.bwd_data = need(i, Kernel::conv_bwd_data);
        s.bwd_weights = need(i, Kernel::conv_bwd_weights);
        s.fusion = inference_fusion(graph_, i);
        if (s.fusion.batch_norm >= 0) {
          s.fwd_infer = need(i, Kernel::conv_bn_infer_fwd), s.block_weights = need(i, Kernel::conv_block_weights);
          s.scale = Buffer(n.units), s.shift = Buffer(n.units);
        }
        s.w = add_param(n, "kernel", {n.kernel.h, n.kernel.w, n.in.c, n.units}, true);
        if (n.use_bias) s.b = add_param(n, "bias", {n.units}, true);
        break;
      case Op::batch_norm:
        s.fwd = need(i, Kernel::bn_train_fwd), s.fwd_infer = need(i, Kernel::bn_infer_fwd), s.bwd_data = need(i, Kernel::bn_bwd);
        s.gamma = add_param(n, "gamma", {n.in.c}, true);
        s.beta = add_param(n, "beta", {n.in.c}, true);
        s.moving_mean = add_param(n, "moving_mean", {n.in.c}, false);
        s.moving_var = add_param(n, "moving_variance", {n.in.c}, false);
        break;
      case Op::activation:
        if (act_kernel && !fused_into_input) s.act_fwd = need(i, Kernel::act_fwd);
        if (act_kernel) s.act_bwd = need(i, Kernel::act_bwd);
        break;
      case Op::max_pool2d: s.fwd = need(i, Kernel::maxpool_fwd), s.bwd_data = need(i, Kernel::maxpool_bwd); break;
      case Op::avg_pool2d: s.fwd = need(i, Kernel::avgpool_fwd), s.bwd_data = need(i, Kernel::avgpool_bwd); break;
      case Op::dense:
        s.fwd = need(i, Kernel::dense_fwd), s.bwd_data = need(i, Kernel::dense_bwd_data);
        s.bwd_weights = need(i, Kernel::dense_bwd_weights);
        if (act_kernel) s.act_fwd = need(i, Kernel::act_fwd), s.act_bwd = need(i, Kernel::act_bwd);
        s.w = add_param(n, "kernel", {n.in.c, n.units}, true);
        if (n.use_bias) s.b = add_param(n, "bias", {n.units}, true);
        break;
      case Op::add: s.fwd = need(i, Kernel::add_fwd); break;
    }
  }
  for (int i = 0; i < count; ++i) slots_[i].fused_at_inference = fused_into_conv_at_inference(graph_, i);
  // Gradients flow back only as far as parameters: the stem's padding of the input needs none.
  for (int i = 0; i < count; ++i) {
    const Node& n = graph_.nodes[i];
    Slot& s = slots_[i];
    s.needs_grad = s.w >= 0 || s.gamma >= 0 || (n.in0 >= 0 && slots_[n.in0].needs_grad) ||
                   (n.in1 >= 0 && slots_[n.in1].needs_grad);
  }
  const Node& out = graph_.nodes[graph_.output];
  if (is_fused_head(graph_, graph_.output)) head_act_ = out.act;
  head_logits_node_ = out.op == Op::activation && is_fused_head(graph_, graph_.output) ? out.in0 : graph_.output;
  initialize(0);
}

Network::KernelRef Network::need(int i, Kernel kind) {
  const Node& node = graph_.nodes[i];
  const std::string name = kernel_for(graph_, i, kind).name();
  KernelFn fn = kernels_.find(name);
  if (!fn)
    throw std::invalid_argument("layer " + std::string(node.name.view()) + ": the generated library '" +
                                kernels_.library + "' has no kernel " + name +
                                " (was it generated for another model?)");
  auto it = std::find_if(times_.begin(), times_.end(), [&](const KernelTime& t) { return t.kernel == name; });
  if (it == times_.end()) it = times_.insert(times_.end(), KernelTime{name});
  return {fn, static_cast<int>(it - times_.begin())};
}

std::vector<Network::KernelTime> Network::profile() const {
  std::vector<KernelTime> t = times_;
  std::sort(t.begin(), t.end(), [](const KernelTime& a, const KernelTime& b) { return a.seconds > b.seconds; });
  return t;
}

std::string Network::profile_report() const {
  double total = 0;
  for (const KernelTime& t : times_) total += t.seconds;
  std::string report;
  char line[160];
  std::snprintf(line, sizeof line, "%-52s %8s %10s %6s\n", "kernel", "calls", "seconds", "share");
  report += line;
  for (const KernelTime& t : profile())
    if (t.calls) {
      std::snprintf(line, sizeof line, "%-52s %8lld %10.3f %5.1f%%\n", t.kernel.c_str(), static_cast<long long>(t.calls),
                    t.seconds, total > 0 ? 100 * t.seconds / total : 0.0);
      report += line;
    }
  return report;
}

void Network::initialize(uint64_t seed) {
  for (Slot& s : slots_) s.w_blocked_current = false;
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    const Node& n = graph_.nodes[i];
    const Slot& s = slots_[i];
    std::mt19937_64 rng(seed ^ fnv1a(n.name.view()));
    if (s.w >= 0) {  // glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out))
      const double receptive = n.op == Op::conv2d ? double(n.kernel.h) * n.kernel.w : 1.0;
      const double fan_in = receptive * n.in.c, fan_out = receptive * n.units;
      const double limit = std::sqrt(6.0 / (fan_in + fan_out));
      for (float& v : params_[s.w].value) v = static_cast<float>(-limit + 2.0 * limit * ((rng() >> 11) * 0x1.0p-53));
    }
    if (s.b >= 0) std::fill(params_[s.b].value.begin(), params_[s.b].value.end(), 0.0f);
    if (s.gamma >= 0) {
      std::fill(params_[s.gamma].value.begin(), params_[s.gamma].value.end(), 1.0f);
      std::fill(params_[s.beta].value.begin(), params_[s.beta].value.end(), 0.0f);
      std::fill(params_[s.moving_mean].value.begin(), params_[s.moving_mean].value.end(), 0.0f);
      std::fill(params_[s.moving_var].value.begin(), params_[s.moving_var].value.end(), 1.0f);
    }
  }
}

Buffer Network::param_buffer(int index, bool grad) {
  Parameter& p = params_[index];
  std::vector<int> dims(p.shape.rbegin(), p.shape.rend());  // Keras row-major = Halide reversed
  return Buffer(grad ? p.grad.data() : p.value.data(), dims);
}

void Network::allocate(int n) {
  batch_ = n;
  if (n <= capacity_) return;
  capacity_ = n;
  for (Slot& s : slots_) s.grad = Buffer(), s.grad_written = false;
  pool_.clear();  // its blocks are sized for the old capacity
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    const Node& node = graph_.nodes[i];
    Slot& s = slots_[i];
    const std::vector<int> dims = halide_dims(node.out, n);
    if (node.op == Op::flatten) {
      s.out = Buffer(slots_[node.in0].out.data(), dims);  // NHWC flattened is the same memory
    } else if (node.op == Op::activation && !s.act_fwd) {
      // No kernel: linear (the identity); the fused head, whose logits are its input's output; or an
      // activation its input layer applied (plan.hpp's fused_activation), whose output that layer
      // holds: neither a BatchNorm nor an Add reads its own output going backward.
      s.out = Buffer(slots_[node.in0].out.data(), dims);
    } else {
      s.out = Buffer(dims);
    }
    if (node.op == Op::dense && s.act_fwd) s.pre = Buffer(dims), s.d_pre = Buffer(dims);
    if (node.op == Op::batch_norm) s.mean = Buffer(node.in.c), s.var = Buffer(node.in.c);
  }
}

void Network::run(KernelRef k, const char* what, const Node& node, std::vector<void*> args) {
  const auto start = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (k.fn(args.data()) != 0)
    throw std::runtime_error("layer " + std::string(node.name.view()) + ": " + what + " kernel failed: " + take_halide_error());
  if (profiling_) {
    times_[k.id].calls++;
    times_[k.id].seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
}

void Network::conv_bn_inference(int i, Buffer in, int n) {
  const Node& node = graph_.nodes[i];
  Slot& s = slots_[i];
  const Slot& bn = slots_[s.fusion.batch_norm];
  const float eps = graph_.nodes[s.fusion.batch_norm].epsilon;
  const FloatArray &gamma = params_[bn.gamma].value, &beta = params_[bn.beta].value;
  const FloatArray &mean = params_[bn.moving_mean].value, &var = params_[bn.moving_var].value;
  for (int c = 0; c < node.units; ++c) {  // as bn_infer_fwd computes them (codegen/batch_norm.cpp)
    const float scale = gamma[c] / std::sqrt(var[c] + eps);
    s.scale(c) = scale;
    s.shift(c) = beta[c] - mean[c] * scale + (s.b >= 0 ? params_[s.b].value[c] * scale : 0.0f);
  }
  // The weights in the kernel's order, blocked once after they change rather than in every call:
  // re-blocking all of ResNet50's (94 MB) cost a batch of 32 about 10% of its inference time, and
  // most of a batch of 1's.
  if (!s.w_blocked_current) {
    s.w_blocked.resize(params_[s.w].value.size());
    Buffer w = param_buffer(s.w, false), blocked(s.w_blocked.data(), static_cast<int>(s.w_blocked.size()));
    run(s.block_weights, "weight layout", node, {w.raw_buffer(), blocked.raw_buffer()});
    s.w_blocked_current = true;
  }
  Buffer w(s.w_blocked.data(), static_cast<int>(s.w_blocked.size()));
  Buffer out = batch_view(slots_[s.fusion.output].out, n), residual;
  std::vector<void*> args{in.raw_buffer(), w.raw_buffer(), s.scale.raw_buffer(), s.shift.raw_buffer()};
  if (s.fusion.residual >= 0) {
    residual = batch_view(slots_[s.fusion.residual].out, n);
    args.push_back(residual.raw_buffer());
  }
  args.push_back(out.raw_buffer());
  run(s.fwd_infer, "inference forward", node, args);
}

const Buffer& Network::forward(const float* x, int n, bool training) {
  if (n <= 0) throw std::invalid_argument("forward: batch size must be positive");
  allocate(n);
  last_forward_training_ = training;
  std::memcpy(slots_[0].out.data(), x, sizeof(float) * static_cast<size_t>(graph_.input_shape().size()) * n);
  if (training && bn_estimating_) ++bn_estimate_batches_;
  for (int i = 1; i < static_cast<int>(slots_.size()); ++i) {
    const Node& node = graph_.nodes[i];
    Slot& s = slots_[i];
    if (!training && s.fused_at_inference) continue;  // its convolution wrote its output
    Buffer in = batch_view(slots_[node.in0].out, n), out = batch_view(s.out, n);
    if (!training && s.fwd_infer && node.op == Op::conv2d) {
      conv_bn_inference(i, in, n);
      continue;
    }
    switch (node.op) {
      case Op::input: case Op::flatten: break;
      case Op::zero_padding2d: case Op::max_pool2d: case Op::avg_pool2d:
        run(s.fwd, "forward", node, {in.raw_buffer(), out.raw_buffer()});
        break;
      case Op::conv2d: case Op::dense: {
        Buffer w = param_buffer(s.w, false), b = s.b >= 0 ? param_buffer(s.b, false) : Buffer();
        Buffer dst = s.act_fwd ? batch_view(s.pre, n) : out;
        std::vector<void*> args{in.raw_buffer(), w.raw_buffer()};
        if (s.b >= 0) args.push_back(b.raw_buffer());
        args.push_back(dst.raw_buffer());
        run(s.fwd, "forward", node, args);
        if (s.act_fwd) {
          Buffer fp = flat_view(dst), fo = flat_view(out);
          run(s.act_fwd, "activation", node, {fp.raw_buffer(), fo.raw_buffer()});
        }
        break;
      }
      case Op::batch_norm: {
        Buffer gamma = param_buffer(s.gamma, false), beta = param_buffer(s.beta, false);
        Buffer mm = param_buffer(s.moving_mean, false), mv = param_buffer(s.moving_var, false);
        float eps = node.epsilon;
        if (training) {
          run(s.fwd, "forward", node, {in.raw_buffer(), gamma.raw_buffer(), beta.raw_buffer(), &eps, out.raw_buffer(),
                                        s.mean.raw_buffer(), s.var.raw_buffer()});
          // Moving statistics as Keras: m = momentum m + (1 - momentum) batch; the variance unbiased
          // (M / (M - 1)), as TensorFlow's fused batch norm and PyTorch keep it. While estimating,
          // the weight of batch k is 1/k instead: the running mean of all batches seen.
          const double count = double(node.in.h) * node.in.w * n;
          const float unbias = count > 1 ? static_cast<float>(count / (count - 1)) : 1.0f;
          const float keep = bn_estimating_ ? 1.0f - 1.0f / bn_estimate_batches_ : node.momentum;
          for (int c = 0; c < node.in.c; ++c) {
            mm(c) = keep * mm(c) + (1 - keep) * s.mean(c);
            mv(c) = keep * mv(c) + (1 - keep) * s.var(c) * unbias;
          }
        } else {
          run(s.fwd_infer, "forward", node, {in.raw_buffer(), gamma.raw_buffer(), beta.raw_buffer(), mm.raw_buffer(),
                                              mv.raw_buffer(), &eps, out.raw_buffer()});
        }
        break;
      }
      case Op::activation:
        if (s.act_fwd) {
          if (node.act == Act::softmax) {
            const int m = static_cast<int>(in.number_of_elements() / node.in.c);
            Buffer a(in.data(), node.in.c, m), o(out.data(), node.in.c, m);
            run(s.act_fwd, "forward", node, {a.raw_buffer(), o.raw_buffer()});
          } else {
            Buffer a = flat_view(in), o = flat_view(out);
            run(s.act_fwd, "forward", node, {a.raw_buffer(), o.raw_buffer()});
          }
        }
        break;
      case Op::add: {
        Buffer a = flat_view(in), b = flat_view(batch_view(slots_[node.in1].out, n)), o = flat_view(out);
        run(s.fwd, "forward", node, {a.raw_buffer(), b.raw_buffer(), o.raw_buffer()});
        break;
      }
    }
  }
  logits_ = batch_view(slots_[head_logits_node_].out, n);
  return logits_;
}

Buffer Network::borrow(const Shape& s) {
  const std::vector<int> dims = halide_dims(s, capacity_);
  size_t need = 1;
  for (int d : dims) need *= static_cast<size_t>(d);
  PoolBlock* best = nullptr;  // the smallest free block that fits
  for (auto& b : pool_)
    if (!b->used && b->data.size() >= need && (!best || b->data.size() < best->data.size())) best = b.get();
  if (!best) {
    pool_.push_back(std::make_unique<PoolBlock>());
    best = pool_.back().get();
    best->data.resize(need);
  }
  best->used = true;
  return Buffer(best->data.data(), dims);
}

void Network::give_back(Buffer& b) {
  for (auto& block : pool_)
    if (block->data.data() == b.data()) block->used = false;
  b = Buffer();
}

template <class Write>
void Network::emit(int i, Write&& write) {
  Slot& t = slots_[i];
  const Shape& shape = graph_.nodes[i].out;
  if (!t.grad_written) {
    t.grad = borrow(shape);
    Buffer dst = batch_view(t.grad, batch_);
    write(dst);
    t.grad_written = true;
    return;
  }
  Buffer scratch = borrow(shape), tmp = batch_view(scratch, batch_);
  write(tmp);
  add_into(batch_view(t.grad, batch_), tmp);
  give_back(scratch);
}

void Network::pass_on(int i, int from) {
  Slot& t = slots_[i];
  Slot& f = slots_[from];
  if (t.grad_written) {
    add_into(batch_view(t.grad, batch_), batch_view(f.grad, batch_));
    return;
  }
  // The same memory order (Flatten's (k, n) is NHWC's (c, w, h, n)): the buffer is re-dimensioned.
  t.grad = Buffer(f.grad.data(), halide_dims(graph_.nodes[i].out, capacity_));
  f.grad = Buffer();
  t.grad_written = true;
}

Buffer Network::input_gradient() const {
  if (!slots_[0].grad_written) throw std::logic_error("input_gradient: backward(d_logits, true) was not called");
  return batch_view(slots_[0].grad, batch_);
}

void Network::backward(const Buffer& d_logits, bool input_gradient) {
  const int n = batch_;
  if (d_logits.number_of_elements() != static_cast<size_t>(classes()) * n)
    throw std::invalid_argument("backward: the loss gradient does not match the last forward batch");
  if (!last_forward_training_)  // inference skips tensors backward reads, and has no batch statistics
    throw std::logic_error("backward: the last forward pass was in inference mode; backward needs forward(training)");
  for (Slot& s : slots_) {
    if (s.grad.data()) give_back(s.grad);  // the last pass's input gradient
    s.grad_written = false;
  }
  emit(head_logits_node_, [&](Buffer& dst) { std::memcpy(dst.data(), d_logits.data(), sizeof(float) * dst.number_of_elements()); });
  for (int i = static_cast<int>(slots_.size()) - 1; i >= 1; --i) {
    Slot& s = slots_[i];
    if (!s.grad_written) continue;  // no gradient reaches it (the fused head: its input has it)
    const Node& node = graph_.nodes[i];
    Buffer g = batch_view(s.grad, n), in = batch_view(slots_[node.in0].out, n), out = batch_view(s.out, n);
    // The network's input needs no gradient to train: skip that pass unless asked for.
    const bool to_input = slots_[node.in0].needs_grad || input_gradient;
    switch (node.op) {
      case Op::input: break;
      case Op::zero_padding2d: case Op::avg_pool2d:
        if (to_input) emit(node.in0, [&](Buffer& t) { run(s.bwd_data, "backward", node, {g.raw_buffer(), t.raw_buffer()}); });
        break;
      case Op::max_pool2d:
        if (to_input)
          emit(node.in0, [&](Buffer& t) { run(s.bwd_data, "backward", node, {in.raw_buffer(), g.raw_buffer(), t.raw_buffer()}); });
        break;
      case Op::conv2d: case Op::dense: {
        Buffer gp = g;
        if (s.act_bwd) {
          gp = batch_view(s.d_pre, n);
          Buffer fo = flat_view(out), fg = flat_view(g), fd = flat_view(gp);
          run(s.act_bwd, "activation backward", node, {fo.raw_buffer(), fg.raw_buffer(), fd.raw_buffer()});
        }
        Buffer dw = param_buffer(s.w, true), db = s.b >= 0 ? param_buffer(s.b, true) : Buffer();
        std::vector<void*> args{in.raw_buffer(), gp.raw_buffer(), dw.raw_buffer()};
        if (s.b >= 0) args.push_back(db.raw_buffer());
        run(s.bwd_weights, "weight gradient", node, args);
        if (to_input) {
          Buffer w = param_buffer(s.w, false);
          emit(node.in0, [&](Buffer& t) { run(s.bwd_data, "input gradient", node, {gp.raw_buffer(), w.raw_buffer(), t.raw_buffer()}); });
        }
        break;
      }
      case Op::batch_norm: {
        Buffer gamma = param_buffer(s.gamma, false), dgamma = param_buffer(s.gamma, true), dbeta = param_buffer(s.beta, true);
        float eps = node.epsilon;
        const auto bwd = [&](Buffer& t) {
          run(s.bwd_data, "backward", node, {in.raw_buffer(), gamma.raw_buffer(), s.mean.raw_buffer(), s.var.raw_buffer(),
                                              g.raw_buffer(), &eps, t.raw_buffer(), dgamma.raw_buffer(), dbeta.raw_buffer()});
        };
        if (to_input) {
          emit(node.in0, bwd);
        } else {  // gamma and beta still need their gradients
          Buffer scratch = borrow(node.in), t = batch_view(scratch, n);
          bwd(t);
          give_back(scratch);
        }
        break;
      }
      case Op::activation:
        if (!to_input) break;
        if (!s.act_bwd) {  // linear: the gradient passes through
          pass_on(node.in0, i);
          break;
        }
        emit(node.in0, [&](Buffer& t) {
          if (node.act == Act::softmax) {
            const int m = static_cast<int>(out.number_of_elements() / node.in.c);
            Buffer o(out.data(), node.in.c, m), dg(g.data(), node.in.c, m), dt(t.data(), node.in.c, m);
            run(s.act_bwd, "backward", node, {o.raw_buffer(), dg.raw_buffer(), dt.raw_buffer()});
          } else {
            Buffer o = flat_view(out), dg = flat_view(g), dt = flat_view(t);
            run(s.act_bwd, "backward", node, {o.raw_buffer(), dg.raw_buffer(), dt.raw_buffer()});
          }
        });
        break;
      case Op::flatten:
        if (to_input) pass_on(node.in0, i);
        break;
      case Op::add:  // both inputs get the gradient: a copy for the shortcut, the buffer for the other
        if (slots_[node.in1].needs_grad || input_gradient)
          emit(node.in1, [&](Buffer& t) { std::memcpy(t.data(), g.data(), sizeof(float) * t.number_of_elements()); });
        if (slots_[node.in0].needs_grad || input_gradient) pass_on(node.in0, i);
        break;
    }
    if (s.grad.data()) give_back(s.grad);
  }
}
}  // namespace cnngen
