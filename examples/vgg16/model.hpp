// VGG-16 (Simonyan and Zisserman, 2014) as the course presents it: 3x3 'same' convolutions with
// ReLU in five stages of 64, 128, 256, 512, 512 filters (two, two, three, three, three layers),
// each closed by a 2x2 max pool, then FC 4096, FC 4096 and softmax 1000: about 138 million parameters.
#pragma once
#include <cnngen/dsl.hpp>

namespace vgg16 {

using namespace cnngen::layers;

template <int Height, int Width, int Channels, int Classes>
inline constexpr auto VGG16 = cnngen::functional<"VGG16", [](auto& g) {
  auto x = g.input(Input{Height, Width, Channels});
  const int filters[] = {64, 128, 256, 512, 512}, layers[] = {2, 2, 3, 3, 3};
  for (int stage = 0; stage < 5; ++stage) {
    for (int l = 0; l < layers[stage]; ++l) {
      cnngen::Name name;
      name += "block", name += stage + 1, name += "_conv", name += l + 1;  // Keras's block1_conv1, ...
      x = g(Conv2D{.filters = filters[stage], .kernel_size = 3, .padding = same, .activation = relu, .name = name}, x);
    }
    cnngen::Name pool;
    pool += "block", pool += stage + 1, pool += "_pool";
    x = g(MaxPooling2D{.pool_size = 2, .strides = 2, .name = pool}, x);
  }
  x = g(Flatten{.name = "flatten"}, x);
  x = g(Dense{.units = 4096, .activation = relu, .name = "fc1"}, x);
  x = g(Dense{.units = 4096, .activation = relu, .name = "fc2"}, x);
  return g(Dense{.units = Classes, .activation = softmax, .name = "predictions"}, x);
}>();

inline constexpr auto model = VGG16<224, 224, 3, 1000>;

static_assert(model.total_params() == 138'357'544);
static_assert(model.output_shape() == cnngen::Shape::flat(1000));

}  // namespace vgg16
