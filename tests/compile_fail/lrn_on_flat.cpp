// expect: layer local_response_normalization_1 (LocalResponseNormalization): needs an image input (None, height, width, channels), got (None, 192)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3}, Flatten{}, LocalResponseNormalization{}>();
