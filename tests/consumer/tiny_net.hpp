// A user's own model, not one of examples/: a small classifier of SIGNS's six hand signs.
#pragma once
#include <cnngen/dsl.hpp>

namespace tiny_net {

using namespace cnngen::layers;

inline constexpr auto model = cnngen::sequential<"TinyNet",
    Input{64, 64, 3},
    Conv2D{.filters = 8, .kernel_size = 5, .strides = 2, .activation = relu, .name = "conv"},
    MaxPooling2D{.pool_size = 4, .name = "pool"},
    Flatten{},
    Dense{.units = 6, .activation = softmax, .name = "fc"}>();

static_assert(model.total_params() == 5 * 5 * 3 * 8 + 8 + 7 * 7 * 8 * 6 + 6);

}  // namespace tiny_net
