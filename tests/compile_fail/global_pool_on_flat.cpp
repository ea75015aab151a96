// expect: layer global_average_pooling2d_1 (GlobalAveragePooling2D): needs an image input (None, height, width, channels), got (None, 48)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{4, 4, 3}, Flatten{}, GlobalAveragePooling2D{}>();
