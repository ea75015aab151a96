// Flatten: an image (H, W, C) as one vector (H*W*C), NHWC order. No kernels: the run time views
// the same memory with the new shape, both ways.
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct Flatten {
  Name name = {};
};
}  // namespace layers

template <>
struct LayerKind<layers::Flatten> : rules::KindDefaults {
  static constexpr Op op = Op::flatten;
  static constexpr std::string_view keras_type = "Flatten", keras_prefix = "flatten";
  static constexpr Message infer(Node& n, const Shape*, const layers::Flatten&) {
    n.out = Shape::flat(static_cast<int>(n.in.size()));
    return {};
  }
  static NodeKernels kernels(const GraphView&, int) { return {}; }
};

}  // namespace cnngen
