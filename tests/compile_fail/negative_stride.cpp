// expect: layer conv2d_1 (Conv2D): window and strides must be positive, input (None, 8, 8, 3)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3}, Conv2D{.filters = 4, .kernel_size = 3, .strides = -1}>();
