// expect: layer conv2d_1 (Conv2D): has no input: a model starts with Input
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Conv2D{.filters = 4, .kernel_size = 3}>();
