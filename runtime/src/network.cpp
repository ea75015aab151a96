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

// Arithmetic on denormal floats (tiny activations and gradients) goes through a microcode assist of
// ~100 cycles on x86. TensorFlow, whose Keras the course uses, runs its CPU kernels with denormals
// flushed to zero (FTZ: results; DAZ: inputs), and so does cnngen: it costs no accuracy a float32
// network can use. Measured on a freshly initialised ResNet50's inference, three alternating runs
// each: 151-162 images/s with, 140-157 without; a few percent, inside this VM's noise. MXCSR is per
// thread: Halide's worker threads, created on the first parallel loop, inherit it from their creator.
void flush_denormals_to_zero() { _mm_setcsr(_mm_getcsr() | 0x8040); }

}  // namespace

Communicator& single_process() {
  static Communicator one;
  return one;
}

Buffer batch_view(const Buffer& b, int n) { return b.cropped(b.dimensions() - 1, 0, n); }

std::vector<int> halide_dims(const Shape& s, int n) {
  return s.rank == 3 ? std::vector<int>{s.c, s.w, s.h, n} : std::vector<int>{s.c, n};
}

void add_into(const Buffer& dst, const Buffer& src) {
  float* d = dst.data();
  const float* s = src.data();
  const int64_t count = static_cast<int64_t>(dst.number_of_elements());
  for (int64_t i = 0; i < count; ++i) d[i] += s[i];
}

Buffer image_view(const Buffer& b) {
  if (b.dimensions() == 4) return b;
  return Buffer(const_cast<float*>(b.data()), {b.dim(0).extent(), 1, 1, b.dim(1).extent()});
}

Buffer flat_view(const Buffer& b) {
  return Buffer(const_cast<float*>(b.data()), static_cast<int>(b.number_of_elements()));
}

// Each kind's step factory, make_<unit>_step (runtime/src/layers/), found through kinds.hpp's list.
#define CNNGEN_DECLARE_STEP(unit, type) std::unique_ptr<LayerStep> make_##unit##_step(Network& net, int node);
CNNGEN_LAYER_KINDS(CNNGEN_DECLARE_STEP)
#undef CNNGEN_DECLARE_STEP

namespace {

std::unique_ptr<LayerStep> make_step(Network& net, int node) {
  using Factory = std::unique_ptr<LayerStep> (*)(Network&, int);
#define CNNGEN_FACTORY(unit, type) &make_##unit##_step,
  static constexpr Factory factories[] = {CNNGEN_LAYER_KINDS(CNNGEN_FACTORY)};
#undef CNNGEN_FACTORY
  return factories[static_cast<int>(net.graph().nodes[node].op)](net, node);
}

Network::Head head_of(const GraphView& g, int node, float loss_weight) {
  const Node& out = g.nodes[node];
  const bool fused = is_fused_head(g, node);
  return {node, out.op == Op::activation && fused ? out.input() : node, fused ? out.act : Act::linear, loss_weight};
}

}  // namespace

Network::Network(GraphView graph, const KernelTable& kernels) : graph_(graph), kernels_(kernels) {
  halide_set_error_handler(capture_halide_error);
  flush_denormals_to_zero();
  profiling_ = std::getenv("CNNGEN_PROFILE") != nullptr;
  const int count = static_cast<int>(graph_.nodes.size());
  if (count == 0 || graph_.nodes[0].op != Op::input)
    throw std::invalid_argument("model " + std::string(graph_.name) + " does not start with an Input layer");
  slots_.resize(count);
  // A layer the output does not read runs nothing (the planner generated no kernel for it).
  for (int i = 0; i < count; ++i)
    slots_[i].step = graph_.nodes[i].reaches_output ? make_step(*this, i) : std::make_unique<LayerStep>();
  for (int i = 0; i < count; ++i) slots_[i].fused_at_inference = fused_into_conv_at_inference(graph_, i);
  mark_gradient_paths();
  heads_.push_back(head_of(graph_, graph_.output, 1.0f));
  for (const Auxiliary& a : graph_.auxiliary) heads_.push_back(head_of(graph_, a.x.node, a.loss_weight));
  initialize(0);
}

Network::KernelRef Network::kernel(int i, Op op, Pass pass, int nth) {
  const Node& node = graph_.nodes[i];
  const NodeKernels listed = kernels_of(graph_, i);
  const KernelSpec* spec = listed.find(op, pass, nth);
  if (!spec)
    throw std::logic_error("layer " + std::string(node.name.view()) + ": its unit lists no kernel " +
                           unit_names[static_cast<int>(op)] + "_" + pass_names[static_cast<int>(pass)]);
  const std::string name = spec->name();
  KernelFn fn = kernels_.find(name);
  if (!fn)
    throw std::invalid_argument("layer " + std::string(node.name.view()) + ": the generated library '" +
                                kernels_.library + "' has no kernel " + name +
                                " (was it generated for another model?)");
  auto it = std::find_if(times_.begin(), times_.end(), [&](const KernelTime& t) { return t.kernel == name; });
  if (it == times_.end()) it = times_.insert(times_.end(), KernelTime{name});
  return {fn, static_cast<int>(it - times_.begin())};
}

int Network::add_parameter(int node, const char* what, std::vector<int> shape, bool trainable) {
  Parameter p{std::string(graph_.nodes[node].name.view()) + "/" + what, shape, trainable, {}, {}, node};
  int64_t size = 1;
  for (int d : shape) size *= d;
  p.value.assign(size, 0.0f);
  if (trainable) p.grad.assign(size, 0.0f);
  params_.push_back(std::move(p));
  return static_cast<int>(params_.size()) - 1;
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
  char line[200];
  std::snprintf(line, sizeof line, "%-72s %8s %10s %6s\n", "kernel", "calls", "seconds", "share");
  report += line;
  for (const KernelTime& t : profile())
    if (t.calls) {
      std::snprintf(line, sizeof line, "%-72s %8lld %10.3f %5.1f%%\n", t.kernel.c_str(), static_cast<long long>(t.calls),
                    t.seconds, total > 0 ? 100 * t.seconds / total : 0.0);
      report += line;
    }
  return report;
}

void Network::initialize(uint64_t seed) {
  for (Slot& s : slots_) s.step->weights_changed(), s.step->initialize(params_, seed);
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
    // Flatten, and an activation that runs no forward kernel: the same memory as the input's.
    s.out = s.step->aliases_input(*this) ? Buffer(slots_[node.input()].out.data(), dims) : Buffer(dims);
    s.step->allocate(*this, n);
  }
}

void Network::run(KernelRef k, const char* what, int node, std::vector<void*> args) {
  const auto start = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (k.fn(args.data()) != 0)
    throw std::runtime_error("layer " + std::string(graph_.nodes[node].name.view()) + ": " + what +
                             " kernel failed: " + take_halide_error());
  if (profiling_) {
    times_[k.id].calls++;
    times_[k.id].seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
}

namespace {

// Why freezing through `node` cannot run as inference does, or nothing.
void check_freeze_point(const GraphView& g, int node) {
  const int count = static_cast<int>(g.nodes.size());
  if (node < -1 || node >= count) throw std::invalid_argument("freeze_through: no node " + std::to_string(node));
  if (node == 0) throw std::invalid_argument("freezing the Input layer freezes nothing: name a layer after it");
  const auto name = [&](int i) { return std::string(g.nodes[i].name.view()); };
  for (int i = node + 1; i < count; ++i)
    for (int in : g.nodes[i].input_nodes())
      if (in <= node && !g.nodes[in].used_at_inference)
        throw std::invalid_argument("layer " + name(i) + " reads " + name(in) + ", which a frozen part leaves out (it feeds an auxiliary output)");
  for (int i = 1; i <= node; ++i) {
    const InferenceFusion f = g.nodes[i].op == Op::conv2d ? inference_fusion(g, i) : InferenceFusion{};
    if (f.output > node)
      throw std::invalid_argument("freezing through " + name(node) + " splits " + name(i) + " from " + name(f.output) +
                                  ", which it computes at inference: freeze through " + name(f.output) + " or stop before " + name(i));
  }
}

}  // namespace

int freeze_point(const GraphView& g, const std::string& layer) {
  if (layer.empty()) return -1;
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i)
    if (g.nodes[i].name.view() == layer) {
      check_freeze_point(g, i);
      return i;
    }
  throw std::invalid_argument("--freeze-through: no layer named '" + layer + "' in " + std::string(g.name) + " (its summary lists them)");
}

void Network::mark_gradient_paths() {
  for (Slot& s : slots_) s.has_params = false;
  for (const Parameter& p : params_)
    if (p.trainable) slots_[p.node].has_params = true;
  // Gradients flow back only as far as trainable parameters: the stem's padding of the input, or a
  // frozen part, needs none.
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    Slot& s = slots_[i];
    s.needs_grad = s.has_params;
    for (int in : graph_.nodes[i].input_nodes()) s.needs_grad = s.needs_grad || slots_[in].needs_grad;
  }
}

void Network::freeze_through(int node) {
  check_freeze_point(graph_, node);
  frozen_through_ = node;
  for (Parameter& p : params_) {
    const bool frozen = p.node <= node;
    if (frozen && p.trainable) p.trainable = false, p.frozen = true, p.grad = FloatArray();
    else if (!frozen && p.frozen) p.trainable = true, p.frozen = false, p.grad.assign(p.value.size(), 0.0f);
  }
  mark_gradient_paths();
  packed_offset_.clear();  // the packed gradients are the trainable parameters'
  if (!frozen_part_is_a_prefix()) features_input_ = false;
}

bool Network::frozen_part_is_a_prefix() const {
  if (frozen_through_ < 0) return false;
  for (int i = frozen_through_ + 1; i < static_cast<int>(slots_.size()); ++i)
    for (int in : graph_.nodes[i].input_nodes())
      if (in < frozen_through_) return false;
  return true;
}

void Network::set_features_input(bool on) {
  if (on && !frozen_part_is_a_prefix())
    throw std::invalid_argument(frozen_through_ < 0 ? std::string("features input: no layer is frozen")
                                                    : "features input: a layer after " + std::string(graph_.nodes[frozen_through_].name.view()) +
                                                          " reads a frozen layer before it (a shortcut across the cut)");
  features_input_ = on;
}

Buffer Network::forward_frozen_part(const float* x, int n) {
  if (frozen_through_ < 0) throw std::logic_error("forward_frozen_part: no layer is frozen");
  if (n <= 0) throw std::invalid_argument("forward: batch size must be positive");
  allocate(n);
  last_forward_training_ = false;
  std::memcpy(slots_[0].out.data(), x, sizeof(float) * static_cast<size_t>(graph_.input_shape().size()) * n);
  run_forward(1, frozen_through_, false);
  return output(frozen_through_);
}

const Buffer& Network::forward(const float* x, int n, bool training) {
  if (n <= 0) throw std::invalid_argument("forward: batch size must be positive");
  allocate(n);
  last_forward_training_ = training;
  const int start = features_input_ ? frozen_through_ : 0;
  std::memcpy(output(start).data(), x, sizeof(float) * static_cast<size_t>(input_shape().size()) * n);
  if (training && bn_estimating_) ++bn_estimate_batches_;
  if (training) {
    seeds_ = upcoming_sample_seeds(n);
    next_seeds_.clear();
    ++forwards_;
  }
  run_forward(start + 1, static_cast<int>(slots_.size()) - 1, training);
  logits_ = logits(0);
  return logits_;
}

void Network::run_forward(int first, int last, bool training) {
  for (int i = first; i <= last; ++i) {
    Slot& s = slots_[i];
    const bool train = training && i > frozen_through_;  // a frozen layer runs as at inference
    // At inference: a layer its convolution applied, or one only an auxiliary output reads.
    if (!train && (s.fused_at_inference || !graph_.nodes[i].used_at_inference)) continue;
    const int in = graph_.nodes[i].input();
    s.step->forward(*this, in >= 0 ? output(in) : Buffer(), output(i), train);
  }
}

Buffer Network::logits(int h) const {
  if (h != 0 && !last_forward_training_)
    throw std::logic_error("logits: an auxiliary output is computed only by a training forward");
  return batch_view(slots_.at(heads_.at(h).logits_node).out, batch_);
}

std::vector<uint32_t> Network::upcoming_sample_seeds(int n) const {
  if (next_seeds_.size() == static_cast<size_t>(n)) return next_seeds_;
  if (!next_seeds_.empty())
    throw std::invalid_argument("forward: " + std::to_string(next_seeds_.size()) + " sample seeds for a batch of " +
                                std::to_string(n));
  std::vector<uint32_t> seeds(n);
  for (int i = 0; i < n; ++i) seeds[i] = forwards_ * 1000003u + static_cast<uint32_t>(i);
  return seeds;
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

void Network::backward(std::span<const Buffer> d_logits, bool input_gradient) {
  const int n = batch_;
  if (d_logits.empty() || d_logits.size() > heads_.size())
    throw std::invalid_argument("backward: " + std::to_string(d_logits.size()) + " loss gradients for a model of " +
                                std::to_string(heads_.size()) + " outputs");
  for (const Buffer& d : d_logits)
    if (d.number_of_elements() != static_cast<size_t>(classes()) * n)
      throw std::invalid_argument("backward: the loss gradient does not match the last forward batch");
  if (!last_forward_training_)  // inference skips tensors backward reads, and has no batch statistics
    throw std::logic_error("backward: the last forward pass was in inference mode; backward needs forward(training)");
  input_gradient_wanted_ = input_gradient;
  for (Slot& s : slots_) {
    if (s.grad.data()) give_back(s.grad);  // the last pass's input gradient
    s.grad_written = false;
  }
  for (size_t h = 0; h < d_logits.size(); ++h)
    emit(heads_[h].logits_node, [&](Buffer& dst) {
      std::memcpy(dst.data(), d_logits[h].data(), sizeof(float) * dst.number_of_elements());
    });
  for (int i = static_cast<int>(slots_.size()) - 1; i >= 1; --i) {
    Slot& s = slots_[i];
    if (!s.grad_written) continue;  // no gradient reaches it (the fused head: its input has it)
    s.step->backward(*this, batch_view(s.grad, n));
    if (s.grad.data()) give_back(s.grad);
    if (backward_hook_ && s.has_params) backward_hook_(i);
  }
}

}  // namespace cnngen
