// expect: auxiliary output predictions (Dense): is the main output as well
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"Bad", [](auto& g) {
  auto x = g.input(Input{8, 8, 3});
  x = g(Flatten{}, x);
  x = g(Dense{.units = 6, .activation = softmax, .name = "predictions"}, x);
  return cnngen::outputs(x, {x, 0.3f});
}>();
