// A node of a model's graph: one layer with its inputs and shapes. Every kind shares this one
// struct, so that a model is a flat constexpr array; a kind's unit says which fields it uses.
#pragma once
#include <span>
#include <string_view>

#include "kinds.hpp"
#include "layers.hpp"
#include "shape.hpp"

namespace cnngen {

// The inputs a node can take (Concatenate's branches, Add's terms).
inline constexpr int kMaxInputs = 16;

struct Node {
  Op op = Op::input;
  Name name;
  int inputs[kMaxInputs] = {};  // indices of the input nodes, the first `arity` of them
  int arity = 0;
  Shape in, out;                // in: the shape of the first input
  int units = 0;                // Conv2D filters, Dense units, LocalResponseNormalization's depth radius
  Size2 kernel, strides;        // Conv2D kernel, pooling window
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // ZeroPadding2D, and 'same'
  bool use_bias = false;
  Act act = Act::linear;        // Activation, and Dense's activation
  // A kind's real-valued settings, which its unit names (BatchNorm's momentum and epsilon, Dropout's
  // rate, LocalResponseNormalization's bias, alpha and beta): a new kind needs no field here.
  float settings[3] = {};
  bool reaches_output = true;   // false for a branch no output of the model reads
  bool used_at_inference = true;  // false also for what only an auxiliary output reads

  constexpr int input(int k = 0) const { return k < arity ? inputs[k] : -1; }
  constexpr std::span<const int> input_nodes() const { return {inputs, static_cast<std::size_t>(arity)}; }
  constexpr bool reads(int node) const {
    for (int k = 0; k < arity; ++k)
      if (inputs[k] == node) return true;
    return false;
  }
};

// A layer kind's graph-level rules, specialised by its unit (dsl/cnngen/layers/<unit>.hpp) for its
// DSL type L, on rules::KindDefaults (one input, no parameters): op, keras_type, keras_prefix,
// min_inputs, max_inputs, infer(node, input shapes, layer)
// (the shape rule: sets node.out and the kind's fields, or returns what is wrong), params,
// non_trainable_params, and kernels(graph, node) (the kernels the node runs, see kernel_spec.hpp);
// optionally macs(node), the multiply-accumulates of one sample's forward (none if absent).
template <class L>
struct LayerKind;

// A handle on a node's output while a model is being written; node < 0 after a mistake.
struct Tensor {
  int node = -1;
};

// Outputs besides the main one that a model can have (Inception's auxiliary heads).
inline constexpr int kMaxAuxiliaryOutputs = 4;

// An auxiliary output: trained with its loss times loss_weight added to the main output's (Keras's
// loss_weights), and left out at inference. It predicts the same labels as the main output.
struct Auxiliary {
  Tensor x;
  float loss_weight = 0;
};

// What a functional model's builder returns when it has auxiliary outputs:
//   return cnngen::outputs(main, {aux1, 0.3f}, {aux2, 0.3f});
struct Outputs {
  Tensor main;
  Auxiliary auxiliary[kMaxAuxiliaryOutputs] = {};
  int auxiliary_count = 0;
};

constexpr Outputs outputs(Tensor main, Auxiliary a, Auxiliary b = {}, Auxiliary c = {}, Auxiliary d = {}) {
  Outputs o{main};
  for (const Auxiliary& x : {a, b, c, d})
    if (x.x.node >= 0 || x.loss_weight != 0) o.auxiliary[o.auxiliary_count++] = x;
  return o;
}

// What the run time and the code generator see of any model: the nodes, without the capacity.
struct GraphView {
  std::string_view name;
  std::span<const Node> nodes;
  int output = -1;
  std::span<const Auxiliary> auxiliary;  // empty for a model of one output

  template <class G>
  constexpr GraphView(const G& g)
      : name(g.name.view()), nodes(g.view()), output(g.output), auxiliary(g.auxiliary, static_cast<std::size_t>(g.auxiliary_count)) {}
  constexpr GraphView(std::string_view n, std::span<const Node> ns, int out) : name(n), nodes(ns), output(out) {}
  constexpr Shape input_shape() const { return nodes[0].out; }
  constexpr Shape output_shape() const { return nodes[output].out; }
  constexpr bool is_output(int node) const {
    if (node == output) return true;
    for (const Auxiliary& a : auxiliary)
      if (a.x.node == node) return true;
    return false;
  }
};

}  // namespace cnngen
