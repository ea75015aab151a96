// The course's "1x1 convolution" lesson: a 5x5 'same' convolution of 28x28x192 to 32 channels, and the
// same with a 1x1 bottleneck to 16 channels first. MACs per image (padding taps counted, as the
// course counts): 28*28*32*5*5*192 = 120,422,400, and 28*28*16*192 + 28*28*32*5*5*16 = 12,443,648.
#pragma once
#include <cnngen/dsl.hpp>

namespace course_layers {

using namespace cnngen::layers;

inline constexpr auto conv5x5 = cnngen::sequential<"CourseConv5x5",
    Input{28, 28, 192},
    Conv2D{.filters = 32, .kernel_size = 5, .padding = same, .name = "conv5x5"},
    Flatten{},
    Dense{.units = 2, .activation = softmax}>();

inline constexpr auto bottleneck = cnngen::sequential<"CourseBottleneck",
    Input{28, 28, 192},
    Conv2D{.filters = 16, .kernel_size = 1, .name = "bottleneck1x1"},
    Conv2D{.filters = 32, .kernel_size = 5, .padding = same, .name = "conv5x5"},
    Flatten{},
    Dense{.units = 2, .activation = softmax}>();

// The course's counts, as summary() prints them, less the Dense head's 2 x 25,088.
static_assert(conv5x5.total_macs() - 2 * 28 * 28 * 32 == 120'422'400);
static_assert(bottleneck.total_macs() - 2 * 28 * 28 * 32 == 12'443'648);

}  // namespace course_layers
