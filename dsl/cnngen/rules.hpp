// What the layer kinds' shape rules share. A rule returns an empty Message when the layer fits its
// inputs, else what is wrong with the shape at fault; the graph prefixes "layer NAME (Type): ".
#pragma once
#include "node.hpp"

namespace cnngen::rules {

// What a layer kind has unless its LayerKind says otherwise: one input, no parameters.
struct KindDefaults {
  static constexpr int min_inputs = 1, max_inputs = 1;
  static constexpr long long params(const Node&) { return 0; }
  static constexpr long long non_trainable_params(const Node&) { return 0; }
};

constexpr Message error(std::string_view what, const Shape& s) {
  Message m;
  m += what;
  if (s.c > 0 || s.h > 0) append_shape(m, s);
  return m;
}

constexpr Message needs_image(const Node& n) {
  if (n.in.rank == 3) return {};
  return error("needs an image input (None, height, width, channels), got ", n.in);
}

constexpr Message known(const ActivationFn& a) {
  if (a.known) return {};
  Message m;
  m += "unknown activation ";
  m += a.text;
  m += " (relu, sigmoid, tanh, softmax or linear)";
  return m;
}

// Output height and width of a sliding window (Conv2D kernel or pooling window) over n.in with
// n.kernel and n.strides, Keras's 'valid' or TensorFlow's 'same' (the extra row or column of
// padding goes to the bottom/right); sets n.out's height and width and n's padding.
constexpr Message window(Node& n, Padding padding, std::string_view what) {
  const Size2 k = n.kernel, s = n.strides;
  if (k.h <= 0 || k.w <= 0 || s.h <= 0 || s.w <= 0) return error("window and strides must be positive, input ", n.in);
  n.out = n.in;
  if (padding == Padding::valid) {
    if (k.h > n.in.h || k.w > n.in.w) {
      Message m;
      m += what; m += k.h; m += "x"; m += k.w; m += " does not fit the input ";
      append_shape(m, n.in);
      m += " with padding valid";
      return m;
    }
    n.out.h = (n.in.h - k.h) / s.h + 1;
    n.out.w = (n.in.w - k.w) / s.w + 1;
    return {};
  }
  n.out.h = (n.in.h + s.h - 1) / s.h;
  n.out.w = (n.in.w + s.w - 1) / s.w;
  const int ph = (n.out.h - 1) * s.h + k.h - n.in.h, pw = (n.out.w - 1) * s.w + k.w - n.in.w;
  n.pad_top = ph > 0 ? ph / 2 : 0, n.pad_bottom = ph > 0 ? ph - ph / 2 : 0;
  n.pad_left = pw > 0 ? pw / 2 : 0, n.pad_right = pw > 0 ? pw - pw / 2 : 0;
  return {};
}

}  // namespace cnngen::rules
