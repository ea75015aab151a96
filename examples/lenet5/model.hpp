// The course's LeNet-5 (LeCun, 1998): CONV -> POOL -> CONV -> POOL -> FC -> FC -> OUTPUT, about 60
// thousand parameters. Average pooling as the original; ReLU rather than its sigmoid and tanh, as
// the course suggests doing today. A function of the input shape and the class count, as the
// course writes its Keras models; instantiated for Fashion-MNIST (28x28 padded to 32x32, 10 classes).
#pragma once
#include <cnngen/dsl.hpp>

namespace lenet5 {

using namespace cnngen::layers;

template <int Height, int Width, int Channels, int Classes>
inline constexpr auto LeNet5 = cnngen::sequential<"LeNet5",
    Input{Height, Width, Channels},
    Conv2D{.filters = 6, .kernel_size = 5, .activation = relu, .name = "conv1"},
    AveragePooling2D{.pool_size = 2, .strides = 2, .name = "pool1"},
    Conv2D{.filters = 16, .kernel_size = 5, .activation = relu, .name = "conv2"},
    AveragePooling2D{.pool_size = 2, .strides = 2, .name = "pool2"},
    Flatten{},
    Dense{.units = 120, .activation = relu, .name = "fc1"},
    Dense{.units = 84, .activation = relu, .name = "fc2"},
    Dense{.units = Classes, .activation = softmax, .name = "fc3"}>();

inline constexpr auto model = LeNet5<32, 32, 1, 10>;

// The course's count: 156 + 2,416 + 48,120 + 10,164 + 850.
static_assert(model.total_params() == 61'706);
static_assert(model.output_shape() == cnngen::Shape::flat(10));

}  // namespace lenet5
