// GlobalAveragePooling2D and GlobalMaxPooling2D: the mean or maximum of each channel over the whole
// image, (H, W, C) -> (C). A pooling window of the whole image, so they run the pooling units'
// kernels (layers/pooling2d.hpp) on a 1x1 view of their output: a global average over 2x2x2048
// is the same kernel as ResNet50's 2x2 average pool, generated once.
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct GlobalAveragePooling2D {
  Name name = {};
};
struct GlobalMaxPooling2D {
  Name name = {};
};
}  // namespace layers

namespace global_pooling2d {

constexpr Message infer(Node& n) {
  if (Message m = rules::needs_image(n); !m.empty()) return m;
  n.kernel = n.strides = Size2(n.in.h, n.in.w);
  n.out = Shape::flat(n.in.c);
  return {};
}

// The window pool of the whole image (op max_pool2d or avg_pool2d) that node n runs.
inline NodeKernels kernels(const Node& n, Op pool) {
  NodeKernels k;
  for (Pass p : {Pass::fwd, Pass::bwd}) {
    KernelSpec s = spec_of(n, p);
    s.op = pool, s.out = Shape::image(1, 1, n.in.c);
    k.add(s);
  }
  return k;
}

}  // namespace global_pooling2d

template <>
struct LayerKind<layers::GlobalAveragePooling2D> : rules::KindDefaults {
  static constexpr Op op = Op::global_avg_pool2d;
  static constexpr std::string_view keras_type = "GlobalAveragePooling2D", keras_prefix = "global_average_pooling2d";
  static constexpr Message infer(Node& n, const Shape*, const layers::GlobalAveragePooling2D&) { return global_pooling2d::infer(n); }
  static NodeKernels kernels(const GraphView& g, int i) { return global_pooling2d::kernels(g.nodes[i], Op::avg_pool2d); }
};

template <>
struct LayerKind<layers::GlobalMaxPooling2D> : rules::KindDefaults {
  static constexpr Op op = Op::global_max_pool2d;
  static constexpr std::string_view keras_type = "GlobalMaxPooling2D", keras_prefix = "global_max_pooling2d";
  static constexpr Message infer(Node& n, const Shape*, const layers::GlobalMaxPooling2D&) { return global_pooling2d::infer(n); }
  static NodeKernels kernels(const GraphView& g, int i) { return global_pooling2d::kernels(g.nodes[i], Op::max_pool2d); }
};

}  // namespace cnngen
