// LocalResponseNormalization, as AlexNet used it (TensorFlow's tf.nn.local_response_normalization):
// each value divided by a power of the sum of squares of its channel's neighbours,
//   s(c) = bias + alpha * sum_{j = c - r .. c + r, 0 <= j < C} in(j)^2,   out(c) = in(c) * s(c)^-beta.
// alpha is not divided by the window size (Caffe's convention would). AlexNet: r = 2, bias = 2,
// alpha = 1e-4, beta = 0.75. in (H, W, C) -> out (H, W, C); no parameters.
// Kernels (inputs, then outputs; the spec's units hold r, bias, alpha and beta are run-time):
//   local_response_norm_fwd   in, bias, alpha, beta           out
//   local_response_norm_bwd   in, d_out, bias, alpha, beta    d_in
//     d_in(j) = d_out(j) s(j)^-beta - 2 alpha beta in(j) sum_{c = j - r .. j + r} d_out(c) in(c) s(c)^(-beta - 1)
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct LocalResponseNormalization {
  int depth_radius = 5;  // TensorFlow's defaults
  float bias = 1, alpha = 1, beta = 0.5f;
  Name name = {};
};
}  // namespace layers

namespace local_response_norm {
enum Setting { bias, alpha, beta };  // places in Node::settings
}  // namespace local_response_norm

template <>
struct LayerKind<layers::LocalResponseNormalization> : rules::KindDefaults {
  static constexpr Op op = Op::local_response_norm;
  static constexpr std::string_view keras_type = "LocalResponseNormalization", keras_prefix = "local_response_normalization";
  static constexpr Message infer(Node& n, const Shape*, const layers::LocalResponseNormalization& l) {
    n.units = l.depth_radius;
    n.settings[local_response_norm::bias] = l.bias, n.settings[local_response_norm::alpha] = l.alpha;
    n.settings[local_response_norm::beta] = l.beta;
    if (Message m = rules::needs_image(n); !m.empty()) return m;
    if (l.depth_radius < 0) return rules::error("depth_radius must not be negative, input ", n.in);
    // A positive bias keeps s away from 0 (out would divide by it); alpha and beta as TensorFlow's.
    if (!(l.bias > 0 && l.alpha >= 0 && l.beta >= 0 && l.bias < 1e30f && l.alpha < 1e30f && l.beta < 1e30f))
      return rules::error("needs a finite bias > 0, alpha >= 0 and beta >= 0, input ", n.in);
    n.out = n.in;
    return {};
  }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    for (Pass p : {Pass::fwd, Pass::bwd}) k.add(spec_of(g.nodes[i], p));
    return k;
  }
};

}  // namespace cnngen
