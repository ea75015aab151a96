// Activation: relu, sigmoid, tanh, softmax (over channels), linear. Also the activation of a Dense
// layer, whose unit runs these kernels after its own.
// Kernels (inputs, then outputs):
//   activation_fwd   in (1-D, any length; softmax: (c, m))   out
//   activation_bwd   out, d_out (as the forward)              d_in
// No kernel runs for linear, for the network's sigmoid or softmax head (the loss applies it:
// fusion.hpp's is_fused_head), nor forward for an activation its input layer applies.
#pragma once
#include "../fusion.hpp"
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct Activation {
  ActivationFn activation;
  Name name = {};
};
}  // namespace layers

namespace activation {

// The kernel of activation `a` over tensors of `channels` channels (softmax's axis; others any length).
inline KernelSpec kernel(Act a, int channels, Pass pass) {
  KernelSpec k;
  k.op = Op::activation, k.pass = pass, k.act = a;
  if (a == Act::softmax) k.in = k.out = Shape::flat(channels);
  return k;
}

// The activation kernels a node with activation `a` runs, if any.
inline void add_kernels(const GraphView& g, int i, Act a, NodeKernels& k) {
  if (a == Act::linear || is_fused_head(g, i)) return;
  k.add(kernel(a, g.nodes[i].out.c, Pass::fwd)), k.add(kernel(a, g.nodes[i].out.c, Pass::bwd));
}

}  // namespace activation

template <>
struct LayerKind<layers::Activation> : rules::KindDefaults {
  static constexpr Op op = Op::activation;
  static constexpr std::string_view keras_type = "Activation", keras_prefix = "activation";
  static constexpr Message infer(Node& n, const Shape*, const layers::Activation& l) {
    n.act = l.activation.act;
    if (Message m = rules::known(l.activation); !m.empty()) return m;
    n.out = n.in;
    return {};
  }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    activation::add_kernels(g, i, g.nodes[i].act, k);
    return k;
  }
};

}  // namespace cnngen
