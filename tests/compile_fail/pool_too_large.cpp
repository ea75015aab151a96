// expect: layer max_pooling2d_1 (MaxPooling2D): pool 3x3 does not fit the input (None, 2, 2, 64) with padding valid
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{2, 2, 64}, MaxPooling2D{.pool_size = 3}>();
