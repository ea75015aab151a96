// BatchNormalization over the channel axis of an image, or of a vector (after a Dense: each unit
// a channel over the batch), epsilon 1e-3, momentum 0.99, as Keras. A vector (C) runs the kernels
// of the 1x1xC image, on a view of the same memory.
// Parameters gamma, beta (trainable), moving mean, moving variance (not), each (C).
// Kernels (inputs, then outputs; both forwards end with the activation fused into them, if any:
// fusion.hpp's fused_activation):
//   batch_norm_train_fwd   in, gamma, beta, eps                      out, batch mean, batch variance (biased)
//   batch_norm_infer_fwd   in, gamma, beta, mean, variance, eps      out
//   batch_norm_bwd         in, gamma, mean, variance, d_out, eps     d_in, d_gamma, d_beta
#pragma once
#include "../fusion.hpp"
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
// Normalises the channel axis (axis=3, the only one cnngen supports, as the course uses).
struct BatchNormalization {
  int axis = -1;
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  Name name = {};
};
}  // namespace layers

namespace batch_norm {
enum Setting { momentum, epsilon };  // places in Node::settings
}  // namespace batch_norm

template <>
struct LayerKind<layers::BatchNormalization> : rules::KindDefaults {
  static constexpr Op op = Op::batch_norm;
  static constexpr std::string_view keras_type = "BatchNormalization", keras_prefix = "batch_normalization";
  static constexpr Message infer(Node& n, const Shape*, const layers::BatchNormalization& l) {
    n.settings[batch_norm::momentum] = l.momentum, n.settings[batch_norm::epsilon] = l.epsilon;
    if (l.axis != -1 && l.axis != n.in.rank) return rules::error("axis must be -1 or the channel axis, input ", n.in);
    if (!(l.epsilon > 0) || !(l.momentum >= 0 && l.momentum < 1))
      return rules::error("needs epsilon > 0 and 0 <= momentum < 1, input ", n.in);
    n.out = n.in;
    return {};
  }
  static constexpr long long params(const Node& n) { return 4ll * n.in.c; }  // gamma, beta, moving mean, moving variance
  static constexpr long long non_trainable_params(const Node& n) { return 2ll * n.in.c; }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    for (Pass p : {Pass::train_fwd, Pass::infer_fwd, Pass::bwd}) {
      KernelSpec s = spec_of(g.nodes[i], p);
      if (s.in.rank == 1) s.in = s.out = Shape::image(1, 1, s.in.c);
      s.kernel = s.strides = {0, 0};
      s.pad_top = s.pad_bottom = s.pad_left = s.pad_right = 0;
      if (p != Pass::bwd) s.act = fused_activation(g, i);
      k.add(s);
    }
    return k;
  }
};

}  // namespace cnngen
