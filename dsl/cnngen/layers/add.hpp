// Add: the elementwise sum of two tensors of one shape. Backward is the identity to both inputs,
// which the run time does without a kernel.
// Kernels: add_fwd   a, b (1-D, any length)   out = a + b, or act(a + b) with a fused activation
#pragma once
#include "../fusion.hpp"
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct Add {
  Name name = {};
};
}  // namespace layers

template <>
struct LayerKind<layers::Add> : rules::KindDefaults {
  static constexpr Op op = Op::add;
  static constexpr std::string_view keras_type = "Add", keras_prefix = "add";
  static constexpr int min_inputs = 2, max_inputs = 2;
  static constexpr Message infer(Node& n, const Shape* in, const layers::Add&) {
    if (!(in[0] == in[1])) {
      Message m;
      m += "input shapes differ: ";
      append_shape(m, in[0]);
      m += " and ";
      append_shape(m, in[1]);
      return m;
    }
    n.out = n.in;
    return {};
  }
  static NodeKernels kernels(const GraphView& g, int i) {
    KernelSpec s;
    s.op = Op::add, s.pass = Pass::fwd, s.act = fused_activation(g, i);
    NodeKernels k;
    k.add(s);
    return k;
  }
};

}  // namespace cnngen
