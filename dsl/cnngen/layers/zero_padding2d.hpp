// ZeroPadding2D: zeros around the image. in (H, W, C) -> out (H + top + bottom, W + left + right, C).
// Kernels: zero_padding2d_fwd (in) -> out; zero_padding2d_bwd (d_out) -> d_in, the crop.
#pragma once
#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
// ZeroPadding2D{3}: 3 on every side; ZeroPadding2D{{1, 2}}: 1 rows top and bottom, 2 columns left and
// right; ZeroPadding2D{{top, bottom}, {left, right}}: Keras's ((top, bottom), (left, right)).
struct ZeroPadding2D {
  int top = 0, bottom = 0, left = 0, right = 0;
  Name name = {};
  constexpr ZeroPadding2D(int p, Name n = {}) : top(p), bottom(p), left(p), right(p), name(n) {}
  constexpr ZeroPadding2D(Size2 hw, Name n = {}) : top(hw.h), bottom(hw.h), left(hw.w), right(hw.w), name(n) {}
  constexpr ZeroPadding2D(Size2 top_bottom, Size2 left_right, Name n = {})
      : top(top_bottom.h), bottom(top_bottom.w), left(left_right.h), right(left_right.w), name(n) {}
};
}  // namespace layers

template <>
struct LayerKind<layers::ZeroPadding2D> : rules::KindDefaults {
  static constexpr Op op = Op::zero_padding2d;
  static constexpr std::string_view keras_type = "ZeroPadding2D", keras_prefix = "zero_padding2d";
  static constexpr Message infer(Node& n, const Shape*, const layers::ZeroPadding2D& l) {
    n.pad_top = l.top, n.pad_bottom = l.bottom, n.pad_left = l.left, n.pad_right = l.right;
    if (Message m = rules::needs_image(n); !m.empty()) return m;
    if (l.top < 0 || l.bottom < 0 || l.left < 0 || l.right < 0) return rules::error("padding must not be negative, input ", n.in);
    n.out = Shape::image(n.in.h + l.top + l.bottom, n.in.w + l.left + l.right, n.in.c);
    return {};
  }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    for (Pass p : {Pass::fwd, Pass::bwd}) {
      KernelSpec s = spec_of(g.nodes[i], p);
      s.kernel = s.strides = {0, 0};
      k.add(s);
    }
    return k;
  }
};

}  // namespace cnngen
