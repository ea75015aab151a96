// The course's HappyModel (Keras):
//   X = ZeroPadding2D((3, 3))(X_input)
//   X = Conv2D(32, (7, 7), strides = (1, 1), name = 'conv0')(X)
//   X = BatchNormalization(axis = 3, name = 'bn0')(X)
//   X = Activation('relu')(X)
//   X = MaxPooling2D((2, 2), name='max_pool')(X)
//   X = Flatten()(X)
//   X = Dense(1, activation='sigmoid', name='fc')(X)
#pragma once
#include <cnngen/dsl.hpp>

namespace happy_model {

using namespace cnngen::layers;

inline constexpr auto model = cnngen::sequential<"HappyModel",
    Input{64, 64, 3},
    ZeroPadding2D{3},
    Conv2D{.filters = 32, .kernel_size = 7, .strides = 1, .name = "conv0"},
    BatchNormalization{.axis = 3, .name = "bn0"},
    Activation{relu},
    MaxPooling2D{.pool_size = 2, .name = "max_pool"},
    Flatten{},
    Dense{.units = 1, .activation = sigmoid, .name = "fc"}>();

// The course's model.summary(): checked when this header compiles.
static_assert(model.output_shape() == cnngen::Shape::flat(1));
static_assert(model.total_params() == 37'633);
static_assert(model.trainable_params() == 37'569);
static_assert(model.non_trainable_params() == 64);

}  // namespace happy_model
