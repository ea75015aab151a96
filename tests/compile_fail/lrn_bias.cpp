// expect: layer norm1 (LocalResponseNormalization): needs a finite bias > 0, alpha >= 0 and beta >= 0, input (None, 8, 8, 3)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3},
    LocalResponseNormalization{.depth_radius = 2, .bias = 0, .alpha = 1e-4f, .beta = 0.75f, .name = "norm1"}>();
