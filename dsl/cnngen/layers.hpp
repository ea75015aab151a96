// The vocabulary the layers share: padding modes and activations, as Keras spells them. Each layer
// kind's DSL type lives in its own unit (dsl/cnngen/layers/<kind>.hpp).
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

}  // namespace layers

constexpr std::string_view act_name(Act a) {
  constexpr std::string_view names[] = {"linear", "relu", "sigmoid", "tanh", "softmax"};
  return names[static_cast<int>(a)];
}

}  // namespace cnngen
