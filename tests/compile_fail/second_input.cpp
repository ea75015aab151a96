// expect: layer input_2 (InputLayer): a model takes one Input (models of several inputs are not supported yet)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"Bad", [](auto& g) {
  auto x = g.input(Input{8, 8, 3});
  auto y = g.input(Input{8, 8, 3});
  return g(Add{}, x, y);
}>();
