// expect: layer concatenate_1 (Concatenate): takes 2 to 16 inputs, got 1
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"Bad", [](auto& g) {
  auto x = g.input(Input{8, 8, 3});
  return g(Concatenate{}, x);
}>();
