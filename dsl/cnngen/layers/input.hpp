// Input: the model's input tensor. No kernels; the run time copies a batch into its output.
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct Input {
  int height = 0, width = 0, channels = 0;
  Name name = {};
};
}  // namespace layers

template <>
struct LayerKind<layers::Input> : rules::KindDefaults {
  static constexpr Op op = Op::input;
  static constexpr std::string_view keras_type = "InputLayer", keras_prefix = "input";
  static constexpr int min_inputs = 0, max_inputs = 0;
  static constexpr Message infer(Node& n, const Shape*, const layers::Input& l) {
    n.out = n.in = Shape::image(l.height, l.width, l.channels);
    if (l.height <= 0 || l.width <= 0 || l.channels <= 0) return rules::error("every dimension must be positive, got ", n.out);
    return {};
  }
  static NodeKernels kernels(const GraphView&, int) { return {}; }
};

}  // namespace cnngen
