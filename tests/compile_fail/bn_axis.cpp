// expect: layer bn0 (BatchNormalization): axis must be -1 or the channel axis, input (None, 8, 8, 3)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3}, BatchNormalization{.axis = 1, .name = "bn0"}>();
