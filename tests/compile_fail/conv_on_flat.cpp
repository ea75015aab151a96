// expect: layer conv2d_1 (Conv2D): needs an image input (None, height, width, channels), got (None, 48)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{4, 4, 3}, Flatten{}, Conv2D{.filters = 4, .kernel_size = 1}>();
