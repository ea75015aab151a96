// The course's Inception module, and a small Inception network of such modules for 64x64 SIGNS
// images. The module on 28x28x192 (the course's) is `module` below; the network is a stem of two
// convolutions and pools, three modules with a pool between, a global average and a softmax, and
// GoogLeNet's auxiliary softmax head on the second module.
#pragma once
#include <cnngen/dsl.hpp>

namespace inception {

using namespace cnngen::layers;
using cnngen::inception_module;

// The course's module alone: 28x28x192 in, 28x28x256 out.
inline constexpr auto module = cnngen::functional<"InceptionModule", [](auto& g) {
  auto x = g.input(Input{28, 28, 192});
  return inception_module(g, x, {64, 96, 128, 16, 32, 32}, "inception_3a");
}>();
static_assert(module.output_shape() == cnngen::Shape::image(28, 28, 256));

// The course's case for the 1x1 bottleneck: its 5x5 branch on 28x28x192 to 32 channels, plain and
// through 16 channels first.
inline constexpr auto plain_5x5 = cnngen::sequential<"Plain5x5", Input{28, 28, 192},
    Conv2D{.filters = 32, .kernel_size = 5, .padding = same}>();
inline constexpr auto bottleneck_5x5 = cnngen::sequential<"Bottleneck5x5", Input{28, 28, 192},
    Conv2D{.filters = 16, .kernel_size = 1}, Conv2D{.filters = 32, .kernel_size = 5, .padding = same}>();
static_assert(plain_5x5.total_macs() == 120'422'400);
static_assert(bottleneck_5x5.total_macs() == 12'443'648);

template <int Height, int Width, int Channels, int Classes>
inline constexpr auto SmallInception = cnngen::functional<"SmallInception", [](auto& g) {
  auto x = g.input(Input{Height, Width, Channels});
  x = g(Conv2D{.filters = 32, .kernel_size = 3, .padding = same, .activation = relu, .name = "stem_conv1"}, x);
  x = g(MaxPooling2D{.pool_size = 2, .name = "stem_pool1"}, x);                         // (32, 32, 32)
  x = g(Conv2D{.filters = 64, .kernel_size = 3, .padding = same, .activation = relu, .name = "stem_conv2"}, x);
  x = g(MaxPooling2D{.pool_size = 2, .name = "stem_pool2"}, x);                         // (16, 16, 64)
  x = inception_module(g, x, {32, 32, 48, 8, 16, 16}, "inception_a");                  // (16, 16, 112)
  x = inception_module(g, x, {48, 48, 64, 12, 24, 24}, "inception_b");                 // (16, 16, 160)
  // GoogLeNet's auxiliary classifier, scaled down: trained with 0.3 of its loss, dropped at inference.
  auto aux = g(AveragePooling2D{.pool_size = 5, .strides = 3, .name = "aux_pool"}, x);  // (4, 4, 160)
  aux = g(Conv2D{.filters = 32, .kernel_size = 1, .activation = relu, .name = "aux_conv"}, aux);
  aux = g(Flatten{.name = "aux_flatten"}, aux);
  aux = g(Dense{.units = 64, .activation = relu, .name = "aux_fc"}, aux);
  aux = g(Dropout{.rate = 0.5f, .name = "aux_dropout"}, aux);
  aux = g(Dense{.units = Classes, .activation = softmax, .name = "aux_predictions"}, aux);
  x = g(MaxPooling2D{.pool_size = 3, .strides = 2, .padding = same, .name = "pool_b"}, x);  // (8, 8, 160)
  x = inception_module(g, x, {64, 64, 96, 16, 32, 32}, "inception_c");                 // (8, 8, 224)
  x = g(GlobalAveragePooling2D{.name = "global_pool"}, x);
  x = g(Dropout{.rate = 0.3f, .name = "dropout"}, x);
  x = g(Dense{.units = Classes, .activation = softmax, .name = "predictions"}, x);
  return cnngen::outputs(x, {aux, 0.3f});
}>();

inline constexpr auto model = SmallInception<64, 64, 3, 6>;
static_assert(model.total_params() == 228'336);
static_assert(model.output_shape() == cnngen::Shape::flat(6));

}  // namespace inception
