// The layers a model is written with: plain constexpr values whose fields carry Keras's argument
// names, so that `Conv2D{.filters = 32, .kernel_size = 7, .name = "conv0"}` reads like
// `Conv2D(32, (7, 7), name='conv0')`. Each is turned into a graph node by graph.hpp, which checks it.
#pragma once
#include "shape.hpp"

namespace cnngen {

enum class Padding { valid, same };
enum class Act { linear, relu, sigmoid, tanh, softmax };

// An activation, written as Keras writes it ("relu", "sigmoid", "tanh", "softmax", "linear") or as
// one of the constants below. An unknown name is reported by the graph as a compile error.
struct ActivationFn {
  Act act = Act::linear;
  bool known = true;
  FixedString<24> text;
  constexpr ActivationFn() = default;
  constexpr ActivationFn(Act a) : act(a) {}
  template <std::size_t N>
  constexpr ActivationFn(const char (&s)[N]) {
    const std::string_view v(s, N - 1);
    text += v;
    if (v == "relu") act = Act::relu;
    else if (v == "sigmoid") act = Act::sigmoid;
    else if (v == "tanh") act = Act::tanh;
    else if (v == "softmax") act = Act::softmax;
    else if (v == "linear") act = Act::linear;
    else known = false;
  }
};

namespace layers {

inline constexpr Padding valid = Padding::valid;
inline constexpr Padding same = Padding::same;
inline constexpr Act linear = Act::linear;
inline constexpr Act relu = Act::relu;
inline constexpr Act sigmoid = Act::sigmoid;
inline constexpr Act tanh = Act::tanh;
inline constexpr Act softmax = Act::softmax;

struct Input {
  int height = 0, width = 0, channels = 0;
  Name name;
};

// ZeroPadding2D{3}: 3 on every side; ZeroPadding2D{{1, 2}}: 1 rows top and bottom, 2 columns left and
// right; ZeroPadding2D{{top, bottom}, {left, right}}: Keras's ((top, bottom), (left, right)).
struct ZeroPadding2D {
  int top = 0, bottom = 0, left = 0, right = 0;
  Name name;
  constexpr ZeroPadding2D(int p, Name n = {}) : top(p), bottom(p), left(p), right(p), name(n) {}
  constexpr ZeroPadding2D(Size2 hw, Name n = {}) : top(hw.h), bottom(hw.h), left(hw.w), right(hw.w), name(n) {}
  constexpr ZeroPadding2D(Size2 top_bottom, Size2 left_right, Name n = {})
      : top(top_bottom.h), bottom(top_bottom.w), left(left_right.h), right(left_right.w), name(n) {}
};

struct Conv2D {
  int filters = 0;
  Size2 kernel_size;
  Size2 strides = 1;
  Padding padding = Padding::valid;
  bool use_bias = true;
  Name name;
};

// Normalises the channel axis (axis=3, the only one cnngen supports, as the course uses).
struct BatchNormalization {
  int axis = -1;
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  Name name;
};

struct Activation {
  ActivationFn activation;
  Name name;
};

// strides 0 means "equal to pool_size", Keras's strides=None.
struct MaxPooling2D {
  Size2 pool_size = 2;
  Size2 strides = 0;
  Padding padding = Padding::valid;
  Name name;
};

struct AveragePooling2D {
  Size2 pool_size = 2;
  Size2 strides = 0;
  Padding padding = Padding::valid;
  Name name;
};

struct Flatten {
  Name name;
};

struct Dense {
  int units = 0;
  ActivationFn activation;
  bool use_bias = true;
  Name name;
};

struct Add {
  Name name;
};

}  // namespace layers
}  // namespace cnngen
