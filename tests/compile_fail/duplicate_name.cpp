// expect: layer name conv0 is used twice: layer names must be unique
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3}, Conv2D{.filters = 4, .kernel_size = 3, .name = "conv0"}, Conv2D{.filters = 4, .kernel_size = 3, .name = "conv0"}>();
