// MaxPooling2D and AveragePooling2D, 'valid' or 'same' windows: in (H, W, C) -> out (OH, OW, C).
// 'Same' pads as Conv2D does; the padding never wins a maximum and is not counted in an average.
// Kernels (inputs, then outputs):
//   max_pool2d_fwd  in -> out       max_pool2d_bwd  in, d_out -> d_in (to the first maximum of each window)
//   avg_pool2d_fwd  in -> out       avg_pool2d_bwd  d_out -> d_in
// The two kinds share this header and their algorithm (codegen/pooling.cpp); each has its unit name.
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
// strides 0 means "equal to pool_size", Keras's strides=None.
struct MaxPooling2D {
  Size2 pool_size = 2;
  Size2 strides = 0;
  Padding padding = Padding::valid;
  Name name = {};
};

struct AveragePooling2D {
  Size2 pool_size = 2;
  Size2 strides = 0;
  Padding padding = Padding::valid;
  Name name = {};
};
}  // namespace layers

namespace pooling2d {

template <class Pool>
constexpr Message infer(Node& n, const Pool& l) {
  n.kernel = l.pool_size;
  n.strides = (l.strides.h == 0 && l.strides.w == 0) ? l.pool_size : l.strides;
  if (Message m = rules::needs_image(n); !m.empty()) return m;
  return rules::window(n, l.padding, "pool ");
}

inline NodeKernels kernels(const Node& n) {
  NodeKernels k;
  for (Pass p : {Pass::fwd, Pass::bwd}) k.add(spec_of(n, p));
  return k;
}

}  // namespace pooling2d

template <>
struct LayerKind<layers::MaxPooling2D> : rules::KindDefaults {
  static constexpr Op op = Op::max_pool2d;
  static constexpr std::string_view keras_type = "MaxPooling2D", keras_prefix = "max_pooling2d";
  static constexpr Message infer(Node& n, const Shape*, const layers::MaxPooling2D& l) { return pooling2d::infer(n, l); }
  static NodeKernels kernels(const GraphView& g, int i) { return pooling2d::kernels(g.nodes[i]); }
};

template <>
struct LayerKind<layers::AveragePooling2D> : rules::KindDefaults {
  static constexpr Op op = Op::avg_pool2d;
  static constexpr std::string_view keras_type = "AveragePooling2D", keras_prefix = "average_pooling2d";
  static constexpr Message infer(Node& n, const Shape*, const layers::AveragePooling2D& l) { return pooling2d::infer(n, l); }
  static NodeKernels kernels(const GraphView& g, int i) { return pooling2d::kernels(g.nodes[i]); }
};

}  // namespace cnngen
