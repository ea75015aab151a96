// AlexNet as the course draws it (Krizhevsky et al., 2012, one tower): 227x227x3 -> CONV 96 11x11
// stride 4 -> MAX-POOL 3x3 stride 2 -> CONV 256 5x5 'same' -> MAX-POOL -> CONV 384 3x3 -> CONV 384 3x3
// -> CONV 256 3x3 -> MAX-POOL -> FC 4096 -> FC 4096 -> softmax 1000, ReLU throughout and Dropout
// before the two hidden dense layers, about 60 million parameters. Local Response Normalization
// (which the course notes does little) follows the first two convolutions' ReLUs, with the paper's
// constants: n = 5 channels (radius 2), k = 2, alpha = 1e-4, beta = 0.75.
#pragma once
#include <cnngen/dsl.hpp>

namespace alexnet {

using namespace cnngen::layers;

template <int Height, int Width, int Channels, int Classes>
inline constexpr auto AlexNet = cnngen::sequential<"AlexNet",
    Input{Height, Width, Channels},
    Conv2D{.filters = 96, .kernel_size = 11, .strides = 4, .activation = relu, .name = "conv1"},        // (55, 55, 96)
    LocalResponseNormalization{.depth_radius = 2, .bias = 2, .alpha = 1e-4f, .beta = 0.75f, .name = "norm1"},
    MaxPooling2D{.pool_size = 3, .strides = 2, .name = "pool1"},                                          // (27, 27, 96)
    Conv2D{.filters = 256, .kernel_size = 5, .padding = same, .activation = relu, .name = "conv2"},      // (27, 27, 256)
    LocalResponseNormalization{.depth_radius = 2, .bias = 2, .alpha = 1e-4f, .beta = 0.75f, .name = "norm2"},
    MaxPooling2D{.pool_size = 3, .strides = 2, .name = "pool2"},                                          // (13, 13, 256)
    Conv2D{.filters = 384, .kernel_size = 3, .padding = same, .activation = relu, .name = "conv3"},
    Conv2D{.filters = 384, .kernel_size = 3, .padding = same, .activation = relu, .name = "conv4"},
    Conv2D{.filters = 256, .kernel_size = 3, .padding = same, .activation = relu, .name = "conv5"},      // (13, 13, 256)
    MaxPooling2D{.pool_size = 3, .strides = 2, .name = "pool5"},                                          // (6, 6, 256)
    Flatten{},                                                                                            // (9216)
    Dropout{.rate = 0.5f},
    Dense{.units = 4096, .activation = relu, .name = "fc6"},
    Dropout{.rate = 0.5f},
    Dense{.units = 4096, .activation = relu, .name = "fc7"},
    Dense{.units = Classes, .activation = softmax, .name = "fc8"}>();

inline constexpr auto model = AlexNet<227, 227, 3, 1000>;

static_assert(model.total_params() == 62'378'344);
static_assert(model.output_shape() == cnngen::Shape::flat(1000));

}  // namespace alexnet
