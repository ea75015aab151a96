// The model the fuzz targets read checkpoints of and parse command lines for: small, so that a
// checkpoint of it is a few hundred bytes a fuzzer can mutate, with every kind of parameter a
// checkpoint holds (kernels, biases, BatchNorm's trainable and moving statistics).
#pragma once
#include <cnngen/dsl.hpp>

namespace fuzz_model {

using namespace cnngen::layers;

inline constexpr auto model = cnngen::sequential<"FuzzModel",
    Input{6, 6, 3},
    Conv2D{.filters = 2, .kernel_size = 3, .name = "conv"},
    BatchNormalization{.axis = 3, .name = "bn"},
    Activation{relu},
    Flatten{},
    Dense{.units = 6, .activation = softmax, .name = "fc"}>();

static_assert(model.total_params() == 56 + 8 + 198);

}  // namespace fuzz_model
