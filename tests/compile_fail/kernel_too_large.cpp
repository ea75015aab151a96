// expect: invalid_model<cnngen::FixedString<91>{"layer conv0 (Conv2D): kernel 7x7 does not fit the input (None, 5, 5, 3) with padding valid"}>
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{5, 5, 3}, Conv2D{.filters = 8, .kernel_size = 7, .name = "conv0"}>();
