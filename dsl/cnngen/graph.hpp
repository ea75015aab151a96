// A model as a constexpr graph: a flat array of nodes in topological order, each naming its inputs by
// index. Builders (model.hpp) append nodes through Graph's call operators, which infer each output
// shape and check the layer; the first mistake is kept as a message that model.hpp turns into a
// compile error naming the layer and the shapes.
#pragma once
#include <span>
#include <string_view>

#include "layers.hpp"

namespace cnngen {

enum class Op : unsigned char { input, zero_padding2d, conv2d, batch_norm, activation, max_pool2d, avg_pool2d, flatten, dense, add };

constexpr std::string_view keras_type(Op op) {
  switch (op) {
    case Op::input: return "InputLayer";
    case Op::zero_padding2d: return "ZeroPadding2D";
    case Op::conv2d: return "Conv2D";
    case Op::batch_norm: return "BatchNormalization";
    case Op::activation: return "Activation";
    case Op::max_pool2d: return "MaxPooling2D";
    case Op::avg_pool2d: return "AveragePooling2D";
    case Op::flatten: return "Flatten";
    case Op::dense: return "Dense";
    case Op::add: return "Add";
  }
  return "?";
}

// Keras's automatic layer names are <prefix>_<n>, counted per layer kind from 1.
constexpr std::string_view keras_prefix(Op op) {
  switch (op) {
    case Op::input: return "input";
    case Op::zero_padding2d: return "zero_padding2d";
    case Op::conv2d: return "conv2d";
    case Op::batch_norm: return "batch_normalization";
    case Op::activation: return "activation";
    case Op::max_pool2d: return "max_pooling2d";
    case Op::avg_pool2d: return "average_pooling2d";
    case Op::flatten: return "flatten";
    case Op::dense: return "dense";
    case Op::add: return "add";
  }
  return "?";
}

constexpr std::string_view act_name(Act a) {
  switch (a) {
    case Act::linear: return "linear";
    case Act::relu: return "relu";
    case Act::sigmoid: return "sigmoid";
    case Act::tanh: return "tanh";
    case Act::softmax: return "softmax";
  }
  return "?";
}

struct Node {
  Op op = Op::input;
  Name name;
  int in0 = -1, in1 = -1;   // indices of the input nodes (in1 only for Add)
  Shape in, out;            // in: the shape of in0
  int units = 0;            // Conv2D filters, Dense units
  Size2 kernel, strides;    // Conv2D kernel, pooling window
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // ZeroPadding2D, and Conv2D 'same'
  bool use_bias = false;
  Act act = Act::linear;    // Activation, and Dense's activation
  float momentum = 0, epsilon = 0;

  constexpr long long params() const {
    switch (op) {
      case Op::conv2d: return static_cast<long long>(kernel.h) * kernel.w * in.c * units + (use_bias ? units : 0);
      case Op::dense: return static_cast<long long>(in.c) * units + (use_bias ? units : 0);
      case Op::batch_norm: return 4ll * in.c;  // gamma, beta, moving mean, moving variance
      default: return 0;
    }
  }
  constexpr long long non_trainable_params() const { return op == Op::batch_norm ? 2ll * in.c : 0; }
  constexpr long long trainable_params() const { return params() - non_trainable_params(); }
};

// A handle on a node's output while a model is being written; node < 0 after a mistake.
struct Tensor {
  int node = -1;
};

template <int Cap>
struct Graph {
  Name name;
  Node nodes[Cap]{};
  int size = 0;
  int output = -1;
  Message error;

  constexpr std::span<const Node> view() const { return {nodes, static_cast<std::size_t>(size)}; }
  constexpr Shape input_shape() const { return nodes[0].out; }
  constexpr Shape output_shape() const { return nodes[output].out; }

  constexpr long long total_params() const { return sum(&Node::params); }
  constexpr long long trainable_params() const { return sum(&Node::trainable_params); }
  constexpr long long non_trainable_params() const { return sum(&Node::non_trainable_params); }

  constexpr Tensor input(const layers::Input& l) {
    Node n{.op = Op::input, .name = l.name};
    n.out = Shape::image(l.height, l.width, l.channels);
    n.in = n.out;
    if (l.height <= 0 || l.width <= 0 || l.channels <= 0) fail(n, "every dimension must be positive, got ", n.out);
    return push(n);
  }

  constexpr Tensor operator()(const layers::ZeroPadding2D& l, Tensor x) {
    Node n = start(Op::zero_padding2d, l.name, x);
    n.pad_top = l.top, n.pad_bottom = l.bottom, n.pad_left = l.left, n.pad_right = l.right;
    if (!image(n)) return {};
    if (l.top < 0 || l.bottom < 0 || l.left < 0 || l.right < 0) return fail(n, "padding must not be negative, input ", n.in);
    n.out = Shape::image(n.in.h + l.top + l.bottom, n.in.w + l.left + l.right, n.in.c);
    return push(n);
  }

  constexpr Tensor operator()(const layers::Conv2D& l, Tensor x) {
    Node n = start(Op::conv2d, l.name, x);
    n.units = l.filters, n.kernel = l.kernel_size, n.strides = l.strides, n.use_bias = l.use_bias;
    if (!image(n)) return {};
    if (l.filters <= 0) return fail(n, "filters must be positive, input ", n.in);
    if (!window(n, l.padding, "kernel ")) return {};
    n.out.c = l.filters;
    return push(n);
  }

  constexpr Tensor operator()(const layers::BatchNormalization& l, Tensor x) {
    Node n = start(Op::batch_norm, l.name, x);
    n.momentum = l.momentum, n.epsilon = l.epsilon;
    if (n.in0 < 0) return {};
    if (l.axis != -1 && l.axis != n.in.rank) return fail(n, "axis must be -1 or the channel axis, input ", n.in);
    if (!(l.epsilon > 0) || !(l.momentum >= 0 && l.momentum < 1)) return fail(n, "needs epsilon > 0 and 0 <= momentum < 1, input ", n.in);
    n.out = n.in;
    return push(n);
  }

  constexpr Tensor operator()(const layers::Activation& l, Tensor x) {
    Node n = start(Op::activation, l.name, x);
    n.act = l.activation.act;
    if (n.in0 < 0) return {};
    if (!known(n, l.activation)) return {};
    n.out = n.in;
    return push(n);
  }

  constexpr Tensor operator()(const layers::MaxPooling2D& l, Tensor x) { return pool(Op::max_pool2d, l, x); }
  constexpr Tensor operator()(const layers::AveragePooling2D& l, Tensor x) { return pool(Op::avg_pool2d, l, x); }

  constexpr Tensor operator()(const layers::Flatten& l, Tensor x) {
    Node n = start(Op::flatten, l.name, x);
    if (n.in0 < 0) return {};
    n.out = Shape::flat(static_cast<int>(n.in.size()));
    return push(n);
  }

  constexpr Tensor operator()(const layers::Dense& l, Tensor x) {
    Node n = start(Op::dense, l.name, x);
    n.units = l.units, n.act = l.activation.act, n.use_bias = l.use_bias;
    if (n.in0 < 0) return {};
    if (!known(n, l.activation)) return {};
    if (n.in.rank != 1) return fail(n, "needs a flat input (add Flatten before it), got ", n.in);
    if (l.units <= 0) return fail(n, "units must be positive, input ", n.in);
    n.out = Shape::flat(l.units);
    return push(n);
  }

  constexpr Tensor operator()(const layers::Add& l, Tensor a, Tensor b) {
    Node n = start(Op::add, l.name, a);
    if (n.in0 < 0 || b.node < 0) return {};
    n.in1 = b.node;
    if (!(nodes[a.node].out == nodes[b.node].out)) {
      Message m = prefix(n);
      m += "input shapes differ: ";
      append_shape(m, nodes[a.node].out);
      m += " and ";
      append_shape(m, nodes[b.node].out);
      return set_error(m);
    }
    n.out = n.in;
    return push(n);
  }

 private:
  constexpr long long sum(long long (Node::*f)() const) const {
    long long t = 0;
    for (int i = 0; i < size; ++i) t += (nodes[i].*f)();
    return t;
  }

  constexpr Node start(Op op, Name name, Tensor x) {
    Node n{.op = op, .name = name, .in0 = x.node};
    if (x.node >= 0) n.in = nodes[x.node].out;
    else if (error.empty()) fail(n, "has no input: a model starts with Input", Shape{});
    return n;
  }

  constexpr Message prefix(const Node& n) const {
    Message m;
    m += "layer ";
    m += n.name.empty() ? next_auto_name(n.op).view() : n.name.view();
    m += " (";
    m += keras_type(n.op);
    m += "): ";
    return m;
  }

  constexpr Tensor set_error(const Message& m) {
    if (error.empty()) error = m;
    return {};
  }

  constexpr Tensor fail(const Node& n, std::string_view what, const Shape& s) {
    Message m = prefix(n);
    m += what;
    if (s.c > 0 || s.h > 0) append_shape(m, s);
    return set_error(m);
  }

  constexpr bool known(const Node& n, const ActivationFn& a) {
    if (a.known) return true;
    Message m = prefix(n);
    m += "unknown activation ";
    m += a.text;
    m += " (relu, sigmoid, tanh, softmax or linear)";
    set_error(m);
    return false;
  }

  constexpr bool image(const Node& n) {
    if (n.in0 < 0) return false;
    if (n.in.rank == 3) return true;
    fail(n, "needs an image input (None, height, width, channels), got ", n.in);
    return false;
  }

  // Output height and width of a sliding window (Conv2D kernel or pooling window), with Keras's
  // 'valid' and TensorFlow's 'same' (the extra row or column of padding goes to the bottom/right).
  constexpr bool window(Node& n, Padding padding, std::string_view what) {
    const Size2 k = n.kernel, s = n.strides;
    if (k.h <= 0 || k.w <= 0 || s.h <= 0 || s.w <= 0) {
      fail(n, "window and strides must be positive, input ", n.in);
      return false;
    }
    n.out = n.in;
    if (padding == Padding::valid) {
      if (k.h > n.in.h || k.w > n.in.w) {
        Message m = prefix(n);
        m += what; m += k.h; m += "x"; m += k.w; m += " does not fit the input ";
        append_shape(m, n.in);
        m += " with padding valid";
        set_error(m);
        return false;
      }
      n.out.h = (n.in.h - k.h) / s.h + 1;
      n.out.w = (n.in.w - k.w) / s.w + 1;
    } else {
      n.out.h = (n.in.h + s.h - 1) / s.h;
      n.out.w = (n.in.w + s.w - 1) / s.w;
      const int ph = (n.out.h - 1) * s.h + k.h - n.in.h, pw = (n.out.w - 1) * s.w + k.w - n.in.w;
      n.pad_top = ph > 0 ? ph / 2 : 0, n.pad_bottom = ph > 0 ? ph - ph / 2 : 0;
      n.pad_left = pw > 0 ? pw / 2 : 0, n.pad_right = pw > 0 ? pw - pw / 2 : 0;
    }
    return true;
  }

  template <class Pool>
  constexpr Tensor pool(Op op, const Pool& l, Tensor x) {
    Node n = start(op, l.name, x);
    n.kernel = l.pool_size;
    n.strides = (l.strides.h == 0 && l.strides.w == 0) ? l.pool_size : l.strides;
    if (!image(n)) return {};
    if (l.padding != Padding::valid) return fail(n, "only padding valid is supported for pooling, input ", n.in);
    if (!window(n, Padding::valid, "pool ")) return {};
    return push(n);
  }

  constexpr Name next_auto_name(Op op) const {
    int count = 1;
    for (int i = 0; i < size; ++i) count += nodes[i].op == op;
    Name nm;
    nm += keras_prefix(op);
    nm += "_";
    nm += count;
    return nm;
  }

  constexpr Tensor push(Node n) {
    if (!error.empty()) return {};
    if (n.name.empty()) n.name = next_auto_name(n.op);
    for (int i = 0; i < size; ++i) {
      if (nodes[i].name == n.name) {
        Message m;
        m += "layer name ";
        m += n.name;
        m += " is used twice: layer names must be unique";
        return set_error(m);
      }
    }
    if (size == Cap) {
      Message m;
      m += "model ";
      m += name;
      m += " has more layers than its capacity ";
      m += Cap;
      return set_error(m);
    }
    nodes[size] = n;
    return {size++};
  }
};

// What the run time and the code generator see of any model: the nodes, without the capacity.
struct GraphView {
  std::string_view name;
  std::span<const Node> nodes;
  int output = -1;

  template <int Cap>
  constexpr GraphView(const Graph<Cap>& g) : name(g.name.view()), nodes(g.view()), output(g.output) {}
  constexpr Shape input_shape() const { return nodes[0].out; }
  constexpr Shape output_shape() const { return nodes[output].out; }
};

}  // namespace cnngen
