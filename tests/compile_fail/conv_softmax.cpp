// expect: layer conv2d_1 (Conv2D): activation softmax is not supported on Conv2D (add Activation after it), input (None, 8, 8, 3)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3}, Conv2D{.filters = 4, .kernel_size = 3, .activation = softmax}>();
