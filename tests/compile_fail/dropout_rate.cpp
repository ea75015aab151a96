// expect: layer drop (Dropout): rate must be at least 0 and below 1, input (None, 48)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{4, 4, 3}, Flatten{}, Dropout{.rate = 1.0f, .name = "drop"}>();
