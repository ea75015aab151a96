// Per-sample tensor shapes. The batch dimension is a run-time value and is never part of a Shape,
// which is how Keras prints it: (None, 64, 64, 3).
#pragma once
#include "text.hpp"

namespace cnngen {

// rank 3: (h, w, c), stored NHWC; rank 1: (c), the output of Flatten and Dense.
struct Shape {
  int h = 0, w = 0, c = 0;
  int rank = 3;

  static constexpr Shape image(int h, int w, int c) { return {h, w, c, 3}; }
  static constexpr Shape flat(int n) { return {1, 1, n, 1}; }
  constexpr long long size() const { return static_cast<long long>(h) * w * c; }
  constexpr bool operator==(const Shape&) const = default;
};

// "(None, 64, 64, 3)" or "(None, 32768)".
template <std::size_t N>
constexpr void append_shape(FixedString<N>& s, const Shape& sh) {
  s += "(None, ";
  if (sh.rank == 3) {
    s += sh.h; s += ", "; s += sh.w; s += ", ";
  }
  s += sh.c;
  s += ")";
}

// A kernel or stride size; `7` means 7x7, `{1, 2}` means height 1, width 2.
struct Size2 {
  int h = 0, w = 0;
  constexpr Size2() = default;
  constexpr Size2(int s) : h(s), w(s) {}
  constexpr Size2(int h_, int w_) : h(h_), w(w_) {}
  constexpr bool operator==(const Size2&) const = default;
};

}  // namespace cnngen
