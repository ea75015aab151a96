// Dense. in (K), kernel (K, U), bias (U) -> out (U); its activation runs the Activation unit's
// kernels after these (or is applied by the loss, for the network's sigmoid or softmax head).
// Kernels (inputs, then outputs):
//   dense_fwd           in (k, n), w, [b]   out (u, n)
//   dense_bwd_data      d_out, w            d_in
//   dense_bwd_weights   in, d_out           d_w, [d_b]
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"
#include "activation.hpp"

namespace cnngen {
namespace layers {
struct Dense {
  int units = 0;
  ActivationFn activation = {};
  bool use_bias = true;
  Name name = {};
};
}  // namespace layers

template <>
struct LayerKind<layers::Dense> : rules::KindDefaults {
  static constexpr Op op = Op::dense;
  static constexpr std::string_view keras_type = "Dense", keras_prefix = "dense";
  static constexpr Message infer(Node& n, const Shape*, const layers::Dense& l) {
    n.units = l.units, n.act = l.activation.act, n.use_bias = l.use_bias;
    if (Message m = rules::known(l.activation); !m.empty()) return m;
    if (n.in.rank != 1) return rules::error("needs a flat input (add Flatten before it), got ", n.in);
    if (l.units <= 0) return rules::error("units must be positive, input ", n.in);
    n.out = Shape::flat(l.units);
    return {};
  }
  static constexpr long long params(const Node& n) { return static_cast<long long>(n.in.c) * n.units + (n.use_bias ? n.units : 0); }
  static constexpr long long macs(const Node& n) { return static_cast<long long>(n.in.c) * n.units; }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    for (Pass p : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) k.add(spec_of(g.nodes[i], p));
    activation::add_kernels(g, i, g.nodes[i].act, k);
    return k;
  }
};

}  // namespace cnngen
