// expect: layer concatenate_1 (Concatenate): inputs must match in all but the channel axis: (None, 8, 8, 4) and (None, 4, 4, 4)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"Bad", [](auto& g) {
  auto x = g.input(Input{8, 8, 3});
  auto a = g(Conv2D{.filters = 4, .kernel_size = 1}, x);
  auto b = g(Conv2D{.filters = 4, .kernel_size = 2, .strides = 2}, x);
  return g(Concatenate{}, a, b);
}>();
