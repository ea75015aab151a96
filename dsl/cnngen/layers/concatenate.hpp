// Concatenate: two or more tensors of one rank joined along the channel axis (Keras's axis=-1), the
// images of one height and width: the Inception module's join. Input k's channels land at offset
// o_k = c_0 + ... + c_(k-1) of the output.
// Kernels, one pair per input k (in: input k's shape, out: the output's, units: o_k):
//   concatenate_fwd   in_k              out's channels [o_k, o_k + c_k), written through a crop of out
//   concatenate_bwd   d_out             d_in_k = d_out's channels [o_k, o_k + c_k)
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct Concatenate {
  int axis = -1;
  Name name = {};
};
}  // namespace layers

template <>
struct LayerKind<layers::Concatenate> : rules::KindDefaults {
  static constexpr Op op = Op::concatenate;
  static constexpr std::string_view keras_type = "Concatenate", keras_prefix = "concatenate";
  static constexpr int min_inputs = 2, max_inputs = kMaxInputs;
  static constexpr Message infer(Node& n, const Shape* in, const layers::Concatenate& l) {
    if (l.axis != -1 && l.axis != n.in.rank) return rules::error("joins the channel axis only (axis=-1), input ", n.in);
    n.out = n.in;
    for (int k = 1; k < n.arity; ++k) {
      if (in[k].rank != n.in.rank || in[k].h != n.in.h || in[k].w != n.in.w) {
        Message m;
        m += "inputs must match in all but the channel axis: ";
        append_shape(m, n.in);
        m += " and ";
        append_shape(m, in[k]);
        return m;
      }
      n.out.c += in[k].c;
    }
    return {};
  }
  static NodeKernels kernels(const GraphView& g, int i) {
    const Node& n = g.nodes[i];
    NodeKernels k;
    for (Pass p : {Pass::fwd, Pass::bwd})
      for (int offset = 0, j = 0; j < n.arity; offset += g.nodes[n.inputs[j]].out.c, ++j) {
        KernelSpec s;
        s.op = Op::concatenate, s.pass = p, s.in = g.nodes[n.inputs[j]].out, s.out = n.out, s.units = offset;
        k.add(s);
      }
    return k;
  }
};

}  // namespace cnngen
