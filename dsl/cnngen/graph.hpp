// A model as a constexpr graph: a flat array of nodes in topological order, each naming its inputs by
// index. Builders (model.hpp) append nodes through Graph's call operator, which asks the layer's
// kind (its unit, registry.hpp) for the output shape; the first mistake is kept as a message that
// model.hpp turns into a compile error naming the layer and the shapes. Building is linear in the
// layers but for the final name check, n log n.
#pragma once
#include <algorithm>
#include <span>
#include <string_view>
#include <type_traits>

#include "registry.hpp"

namespace cnngen {

template <int Cap>
struct Graph {
  Name name;
  Node nodes[Cap]{};
  int size = 0;
  int output = -1;
  Auxiliary auxiliary[kMaxAuxiliaryOutputs] = {};  // outputs trained besides the main one
  int auxiliary_count = 0;
  Message error;
  int named[kLayerKinds] = {};  // layers of each kind so far, for Keras's automatic names

  constexpr std::span<const Node> view() const { return {nodes, static_cast<std::size_t>(size)}; }
  constexpr Shape input_shape() const { return nodes[0].out; }
  constexpr Shape output_shape() const { return nodes[output].out; }

  // Keras's counts: the layers the output depends on.
  constexpr long long total_params() const { return sum(&cnngen::params); }
  constexpr long long trainable_params() const { return sum(&cnngen::trainable_params); }
  constexpr long long non_trainable_params() const { return sum(&cnngen::non_trainable_params); }
  // Multiply-accumulates of one sample's forward pass, over the layers that have them (Conv2D, Dense).
  constexpr long long total_macs() const { return sum(&cnngen::macs); }

  constexpr Tensor input(const layers::Input& l) {
    Node n = start(Op::input, l.name);
    if (size > 0)
      return fail(n, "a model takes one Input (models of several inputs are not supported yet)");
    return add(n, l, nullptr);
  }

  // g(layer, x) or g(layer, x, y, ...): the layer applied to the outputs of earlier layers.
  template <class L, class... T>
    requires(std::is_same_v<T, Tensor> && ...)
  constexpr Tensor operator()(const L& l, T... inputs) {
    using Kind = LayerKind<L>;
    Node n = start(Kind::op, l.name);
    constexpr int count = sizeof...(T);
    if constexpr (count > kMaxInputs) {
      return fail(n, "takes too many inputs");
    } else {
      const Tensor xs[count > 0 ? count : 1] = {inputs...};
      Shape shapes[count > 0 ? count : 1] = {};
      for (int k = 0; k < count; ++k) {
        if (xs[k].node < 0) return fail(n, "has no input: a model starts with Input");
        n.inputs[n.arity++] = xs[k].node;
        shapes[k] = nodes[xs[k].node].out;
      }
      if (count < Kind::min_inputs || count > Kind::max_inputs) {
        Message m;
        m += "takes ";
        m += Kind::min_inputs;
        if (Kind::max_inputs != Kind::min_inputs) m += " to ", m += Kind::max_inputs;
        m += Kind::max_inputs == 1 ? " input, got " : " inputs, got ";
        m += count;
        return fail(n, m.view());
      }
      n.in = shapes[0];
      return add(n, l, shapes);
    }
  }

  // Called once the model's outputs are known: prunes what does not reach them from the counts,
  // and checks that layer names are unique.
  constexpr void finish(Tensor out) { finish(Outputs{out}); }
  constexpr void finish(const Outputs& outs) {
    output = outs.main.node;
    if (!error.empty()) return;
    if (output < 0) {
      error += "model ";
      error += name;
      error += " returns no layer";
      return;
    }
    for (int k = 0; k < outs.auxiliary_count; ++k)
      if (!add_auxiliary(outs.auxiliary[k])) return;
    for (int i = 0; i < size; ++i) nodes[i].used_at_inference = nodes[i].reaches_output = false;
    nodes[output].used_at_inference = nodes[output].reaches_output = true;
    for (int k = 0; k < auxiliary_count; ++k) nodes[auxiliary[k].x.node].reaches_output = true;
    mark_inputs(&Node::used_at_inference);
    mark_inputs(&Node::reaches_output);
    int order[Cap] = {};
    for (int i = 0; i < size; ++i) order[i] = i;
    std::sort(order, order + size, [&](int a, int b) { return nodes[a].name.view() < nodes[b].name.view(); });
    for (int i = 1; i < size; ++i) {
      if (nodes[order[i]].name == nodes[order[i - 1]].name) {
        error += "layer name ";
        error += nodes[order[i]].name;
        error += " is used twice: layer names must be unique";
        return;
      }
    }
  }

 private:
  // Sets flag on every input of a node that has it, walking back from the last node.
  constexpr void mark_inputs(bool Node::*flag) {
    for (int i = size - 1; i >= 0; --i)
      if (nodes[i].*flag)
        for (int in : nodes[i].input_nodes()) nodes[in].*flag = true;
  }

  // An auxiliary output predicts the main output's labels, with a positive finite loss weight.
  constexpr bool add_auxiliary(const Auxiliary& a) {
    if (a.x.node < 0) {
      error += "model ";
      error += name;
      error += ": an auxiliary output is no layer of the model";
      return false;
    }
    const Node& n = nodes[a.x.node];
    Message what;
    if (a.x.node == output) what += "is the main output as well";
    else if (!(a.loss_weight > 0 && a.loss_weight < 1e30f)) what += "needs a positive finite loss weight";
    else if (!(n.out == nodes[output].out)) {
      what += "predicts the same labels as the main output, so needs its shape ";
      append_shape(what, nodes[output].out);
      what += ", got ";
      append_shape(what, n.out);
    }
    for (int k = 0; k < auxiliary_count && what.empty(); ++k)
      if (auxiliary[k].x.node == a.x.node) what += "is given twice as an output";
    if (!what.empty()) {
      error += "auxiliary output ";
      error += n.name;
      error += " (";
      error += keras_type(n.op);
      error += "): ";
      error += what.view();
      return false;
    }
    auxiliary[auxiliary_count++] = a;
    return true;
  }

  constexpr long long sum(long long (*f)(const Node&)) const {
    long long t = 0;
    for (int i = 0; i < size; ++i) t += f(nodes[i]);
    return t;
  }

  constexpr Node start(Op op, Name given) const {
    Node n;
    n.op = op;
    n.name = given;
    if (n.name.empty()) {  // Keras's automatic names: <prefix>_<n>, counted per kind from 1
      n.name += kind_of(op).keras_prefix;
      n.name += "_";
      n.name += named[static_cast<int>(op)] + 1;
    }
    return n;
  }

  constexpr Tensor fail(const Node& n, std::string_view what) {
    if (!error.empty()) return {};
    error += "layer ";
    error += n.name;
    error += " (";
    error += keras_type(n.op);
    error += "): ";
    error += what;
    return {};
  }

  template <class L>
  constexpr Tensor add(Node& n, const L& l, const Shape* shapes) {
    if (!error.empty()) return {};
    const Message wrong = LayerKind<L>::infer(n, shapes, l);
    if (!wrong.empty()) return fail(n, wrong.view());
    if (size == Cap) {
      error += "model ";
      error += name;
      error += " has more layers than its capacity ";
      error += Cap;
      return {};
    }
    ++named[static_cast<int>(n.op)];
    nodes[size] = n;
    return {size++};
  }
};

}  // namespace cnngen
