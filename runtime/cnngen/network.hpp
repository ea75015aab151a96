// The executor of a generated model: parameter storage, activations for a batch, and the forward and
// backward passes, each a walk over the graph that has every node's layer step run its kernels.
#pragma once
#include <HalideBuffer.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include <cnngen/plan.hpp>

#include "communicator.hpp"
#include "kernel_table.hpp"

namespace cnngen {

using Buffer = Halide::Runtime::Buffer<float>;

// Halide assumes the buffers its kernels write are aligned to a vector (a 64-byte AVX-512 store):
// parameters and gradients are allocated as Halide allocates its own buffers, on 128 bytes.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t alignment{128};
  static constexpr int64_t alignment_floats = static_cast<int64_t>(alignment) / sizeof(float);
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, alignment); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
};
using FloatArray = std::vector<float, AlignedAllocator<float>>;

// One learnable or tracked array of a layer, named as Keras names its weights ("conv0/kernel").
struct Parameter {
  std::string name;
  std::vector<int> shape;  // Keras's shape, e.g. (7, 7, 3, 32)
  bool trainable = true;
  FloatArray value, grad;
  int node = -1;  // the layer's node in the graph
  bool frozen = false;  // a frozen layer's (transfer learning): not trained, and its statistics kept as they are
  int64_t size() const { return static_cast<int64_t>(value.size()); }
};

// Views of one batch of a node's tensor: an image (c, w, h, n) or a matrix (k, n).
Buffer batch_view(const Buffer& b, int n);
Buffer flat_view(const Buffer& b);
// A matrix (c, n) as the (c, 1, 1, n) image of the same memory (an image is returned as it is):
// how a vector runs the kernels of a 1x1 image.
Buffer image_view(const Buffer& b);
// The Halide dimensions of n samples of shape s: (c, w, h, n) or (c, n).
std::vector<int> halide_dims(const Shape& s, int n);

class Network;

// One layer kind's run-time step, written once in its unit (runtime/src/layers/<unit>.cpp) and made
// for each node of that kind by make_<unit>_step (kinds.hpp's list): at construction it asks the
// network for its kernels (the ones its DSL unit lists) and its parameters; then it runs its node
// forward and backward through the network's services below.
class LayerStep {
 public:
  virtual ~LayerStep() = default;
  // Keras's initialisers for the step's parameters (of the network's, by index); each layer draws
  // from its own stream.
  virtual void initialize(std::vector<Parameter>& /*params*/, uint64_t /*seed*/) {}
  // Buffers of capacity images besides the node's output.
  virtual void allocate(Network&, int /*capacity*/) {}
  // True when the node's output is its input's memory (no kernel writes it).
  virtual bool aliases_input(const Network&) const { return false; }
  // in: the first input's batch view; out: the node's.
  virtual void forward(Network&, Buffer /*in*/, Buffer /*out*/, bool /*training*/) {}
  // Called when the node's output has a gradient, g (batch view).
  virtual void backward(Network&, Buffer /*g*/) {}
  // The parameters may have changed (what a step derives from them is stale).
  virtual void weights_changed() {}
  // True when backward leaves its parameters' gradients already summed over the ranks
  // (synchronised BatchNorm), so that the gradient allreduce leaves them out.
  virtual bool sums_own_gradients(const Network&) const { return false; }
};

// The node Network::freeze_through takes for freezing through `layer` (by name; -1 for an empty
// name), checked as it checks it: throws std::invalid_argument naming what is wrong.
int freeze_point(const GraphView& g, const std::string& layer);

// The communicator of a single process: what a network and a model use unless told otherwise.
Communicator& single_process();

class Network {
 public:
  // Throws if the table lacks a kernel the graph needs (a library generated for another model).
  Network(GraphView graph, const KernelTable& kernels);

  const GraphView& graph() const { return graph_; }
  // Writable parameters. What inference derives from the weights (a convolution's blocked copy)
  // is rebuilt after every call of this accessor: write parameters through the reference it
  // returns before the next forward, not through one kept from an earlier call.
  std::vector<Parameter>& parameters() {
    for (Slot& s : slots_) s.step->weights_changed();
    return params_;
  }
  const std::vector<Parameter>& parameters() const { return params_; }
  // Parameter i's gradient, writable without touching the weights (what the data-parallel sum writes).
  FloatArray& gradient(int i) { return params_[i].grad; }

  // Keras's initialisers: glorot_uniform kernels, zero biases, BatchNorm gamma = 1, beta = 0,
  // moving mean 0, moving variance 1. Each layer draws from its own stream, seeded by `seed` and
  // the layer's name, so a layer's weights do not depend on the layers before it.
  void initialize(uint64_t seed);

  // ---- Transfer learning ----
  // Freezes the layers 1..node (the graph's order, as Keras's model.layers[:k]): their parameters
  // stop being trained, and a training forward runs them as inference does (BatchNormalization on
  // its moving statistics, which stay as they are, as Keras runs a frozen one). -1 unfreezes
  // nothing and freezes nothing. Throws std::invalid_argument when the cut splits a convolution
  // from the BatchNorm it applies at inference, or when a later layer reads one the cut leaves out.
  void freeze_through(int node);
  int frozen_through() const { return frozen_through_; }
  // Whether every layer after frozen_through() reads only it among the frozen ones: then the frozen
  // part's output is all the rest needs, and can be computed once (set_features_input).
  bool frozen_part_is_a_prefix() const;
  // With features input, forward's x is the frozen part's output (frozen_through()'s node, per
  // sample input_shape()), and only the layers after it run.
  void set_features_input(bool on);
  bool features_input() const { return features_input_; }
  // What forward reads per sample: the model's input, or the frozen part's output.
  Shape input_shape() const { return graph_.nodes[features_input_ ? frozen_through_ : 0].out; }
  // The frozen part's output for n samples of the model's input (an inference forward of it alone).
  Buffer forward_frozen_part(const float* x, int n);

  // x: n samples, NHWC, per-sample shape input_shape(). Returns the main output's logits:
  // the output of the last layer before the activation the loss absorbs (see fusion.hpp's
  // is_fused_head), (classes, n). training: BatchNorm uses batch statistics and updates its moving
  // statistics, and the auxiliary outputs are computed too (inference leaves them out).
  const Buffer& forward(const float* x, int n, bool training);

  // The outputs a loss is taken of: the main one first, then the auxiliary ones (node.hpp).
  struct Head {
    int node = -1;         // the output layer
    int logits_node = -1;  // the layer whose output is the head's logits
    Act act = Act::linear;  // what turns the logits into probabilities (sigmoid, softmax or linear)
    float loss_weight = 1;
  };
  const std::vector<Head>& heads() const { return heads_; }
  // Head h's logits of the last forward (an auxiliary head's only after a training forward).
  Buffer logits(int h) const;
  bool last_forward_training() const { return last_forward_training_; }

  // d_logits: (classes, n), the gradient of the loss for the last forward batch, one per head (or
  // only the main head's). Fills every trainable Parameter::grad; with input_gradient, also the
  // gradient of the input (input_gradient()).
  void backward(const Buffer& d_logits, bool input_gradient = false) { backward(std::span(&d_logits, 1), input_gradient); }
  void backward(std::span<const Buffer> d_logits, bool input_gradient = false);
  Buffer input_gradient() const;

  // With profiling on (or CNNGEN_PROFILE set in the environment), the time spent in each kernel.
  struct KernelTime {
    std::string kernel;
    int64_t calls = 0;
    double seconds = 0;
  };
  void set_profiling(bool on) { profiling_ = on; }
  std::vector<KernelTime> profile() const;
  std::string profile_report() const;  // a table of profile(), each kernel's share of the total

  // Precise BatchNorm statistics: between begin and end, forward(training) sets each layer's moving
  // statistics to the plain average of the batch statistics it sees, instead of Keras's momentum
  // average, which lags behind weights that are still moving (see Model::estimate_batch_norm).
  void begin_batch_norm_estimate() { bn_estimate_batches_ = 0, bn_estimating_ = true; }
  void end_batch_norm_estimate() { bn_estimating_ = false; }
  // While estimating, how many training batches the estimate has seen (this one included); else 0.
  int batch_norm_estimate_batches() const { return bn_estimating_ ? bn_estimate_batches_ : 0; }

  // The ranks a data-parallel training shares each batch with (Model::set_communicator). With
  // sync_batch_norm, a training forward's BatchNorm statistics are those of the global batch: every
  // rank's samples reduced (sum_over_batch), as one process computes them on the whole batch.
  void set_communicator(Communicator& comm, bool sync_batch_norm) {
    comm_ = &comm, sync_bn_ = sync_batch_norm;
    packed_offset_.clear();  // which layers sum their own gradients may have changed
  }
  Communicator& communicator() const { return *comm_; }
  // Whether BatchNorm's training statistics and backward sums go through sum_over_batch.
  bool sync_batch_norm() const { return sync_bn_ && (comm_->size() > 1 || deterministic()); }

  // ---- Sums over the batch (batch_reduction.cpp) ----
  // The deterministic mode (Model::set_micro_batch): the next training batch's share is cut into
  // these micro-batches (samples of the share, in order), and every sum over the batch is taken
  // per micro-batch and added in the global batch's order of them: the same sums, bit for bit, on
  // one process or many. Empty: off, the share is one segment.
  void set_micro_batches(std::vector<Share> micro_batches) { micro_batches_ = std::move(micro_batches); }
  bool deterministic() const { return !micro_batches_.empty(); }
  // The share's segments whose sums are taken apart: its micro-batches, or the share whole.
  std::vector<Share> segments() const;
  // partials: `width` values per segment. Returns their sums over every segment of every rank.
  std::vector<double> sum_over_batch(std::span<const double> partials, int width);
  // Deterministic mode, after backward: each parameter's gradient, the micro-batches' added in the
  // global order over every rank (a chain: rank r adds its own to rank r-1's sum), on every rank.
  void fold_segment_gradients();
  // Called by backward after each node's gradients are final (its layer's backward has run): a
  // data-parallel training starts summing them while the layers before it still run.
  void set_backward_hook(std::function<void(int node)> hook) { backward_hook_ = std::move(hook); }
  bool sums_own_gradients(int node) const { return slots_[node].step->sums_own_gradients(*this); }

  // Seeds of the next training forward's random draws (Dropout's masks), one per sample: the
  // trainer derives them from (seed, epoch, sample), so that a resumed run draws alike. Unset,
  // each training forward takes seeds from a counter of forwards.
  void set_sample_seeds(std::vector<uint32_t> seeds) { next_seeds_ = std::move(seeds); }
  // The seeds of the last training forward's batch, and those the next one of n samples will take.
  const std::vector<uint32_t>& sample_seeds() const { return seeds_; }
  std::vector<uint32_t> upcoming_sample_seeds(int n) const;

  // The activation applied to the main output's logits to get probabilities (sigmoid, softmax or linear).
  Act head_activation() const { return heads_[0].act; }
  int classes() const { return graph_.output_shape().c; }

  // ---- What the layer steps use (runtime/src/layers/) ----
  struct KernelRef {  // a generated kernel and its index in the profile
    KernelFn fn = nullptr;
    int id = -1;
    explicit operator bool() const { return fn != nullptr; }
  };
  // Node i's kernel of that kind and pass (the nth of them), as its DSL unit lists it.
  KernelRef kernel(int node, Op op, Pass pass, int nth = 0);
  bool has_kernel(int node, Op op, Pass pass) const { return kernels_of(graph_, node).find(op, pass) != nullptr; }
  // A parameter of node i named "<layer>/<what>" in Keras's shape; its index in parameters().
  int add_parameter(int node, const char* what, std::vector<int> shape, bool trainable);
  Buffer param_buffer(int index, bool grad);
  void run(KernelRef k, const char* what, int node, std::vector<void*> args);
  // Runs a weight-gradient kernel (input, output gradient -> kernel gradient [, bias gradient]) of
  // parameters w and b (-1: none): into their gradients, or in the deterministic mode per
  // micro-batch into segment gradients that fold_segment_gradients() adds in order.
  void weight_gradient(KernelRef k, int node, const Buffer& in, const Buffer& g, int w, int b);
  int batch() const { return batch_; }
  // Node i's output for the current batch, and the same buffer at full capacity (to alias).
  Buffer output(int node) const { return batch_view(slots_[node].out, batch_); }
  const Buffer& output_storage(int node) const { return slots_[node].out; }
  // Whether a gradient must flow to node i: it or a node before it has trainable parameters, or
  // the caller asked for the input's gradient.
  bool needs_gradient(int node) const { return slots_[node].needs_grad || input_gradient_wanted_; }
  // Has `write` produce a contribution to node i's gradient: straight into it if it is the first this
  // pass, else into a scratch buffer and added (a node read by several layers, as a shortcut is).
  template <class Write>
  void emit(int i, Write&& write);
  // Node i's gradient gets node `from`'s, whose backward is the identity (Add, Flatten, linear):
  // the buffer itself when it is i's first contribution (`from` is done with it), else added.
  void pass_on(int i, int from);
  // Scratch memory of a node's shape at capacity, from the gradient pool.
  Buffer borrow(const Shape& s);
  void give_back(Buffer& b);

 private:
  struct Slot {  // what one node holds for the current batch
    Buffer out, grad;  // grad: borrowed from the pool during backward
    std::unique_ptr<LayerStep> step;
    bool fused_at_inference = false;  // a BatchNorm or Add whose convolution applies it at inference
    bool has_params = false;
    bool grad_written = false;
    bool needs_grad = false;  // some node at or before this one has trainable parameters
  };

  void allocate(int n);
  // Runs nodes first..last forward on the current batch.
  void run_forward(int first, int last, bool training);
  // Each node's has_params and needs_grad, from which parameters are trainable.
  void mark_gradient_paths();

  // Gradient memory. A node's gradient lives from its first contribution until its own backward has
  // run; then its buffer returns to the pool, to be reused for a layer nearer the input. Live at once
  // are a few layers' gradients rather than every layer's.
  struct PoolBlock {
    FloatArray data;
    bool used = false;
  };
  std::vector<std::unique_ptr<PoolBlock>> pool_;

  GraphView graph_;
  const KernelTable& kernels_;
  std::vector<Parameter> params_;
  std::vector<Slot> slots_;
  std::vector<Head> heads_;
  int capacity_ = 0, batch_ = 0;
  Buffer logits_;
  bool profiling_ = false;
  bool last_forward_training_ = false;  // backward needs the intermediate tensors of a training forward
  bool input_gradient_wanted_ = false;
  bool bn_estimating_ = false;
  int frozen_through_ = -1;
  bool features_input_ = false;
  int bn_estimate_batches_ = 0;
  std::vector<KernelTime> times_;  // indexed by KernelRef::id
  std::vector<uint32_t> seeds_, next_seeds_;
  uint32_t forwards_ = 0;
  Communicator* comm_ = &single_process();
  bool sync_bn_ = true;
  std::function<void(int)> backward_hook_;
  std::vector<Share> micro_batches_;  // deterministic mode: this share's micro-batches
  // Deterministic mode: the kernel gradients of each micro-batch, packed (offsets per parameter, -1
  // for a parameter not packed), for fold_segment_gradients.
  std::vector<FloatArray> segment_grads_;
  std::vector<int64_t> packed_offset_;
  FloatArray fold_;  // the sum the rank before sends
};

// dst += src, elementwise.
void add_into(const Buffer& dst, const Buffer& src);

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

}  // namespace cnngen
