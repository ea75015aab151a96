// expect: layer add_1 (Add): input shapes differ: (None, 15, 15, 256) and (None, 15, 15, 64)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"Bad", [](auto& g) {
  auto x = g.input(Input{15, 15, 64});
  auto y = g(Conv2D{.filters = 256, .kernel_size = 1}, x);
  return g(Add{}, y, x);
}>();
