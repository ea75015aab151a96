// expect: auxiliary output aux (Dense): needs a positive finite loss weight
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"Bad", [](auto& g) {
  auto x = g.input(Input{8, 8, 3});
  x = g(Flatten{}, x);
  auto aux = g(Dense{.units = 6, .activation = softmax, .name = "aux"}, x);
  x = g(Dense{.units = 6, .activation = softmax}, x);
  return cnngen::outputs(x, {aux, -1.0f});
}>();
