// expect-success: ResNet152 (516 layers, Keras's 60,419,944 parameters) builds with the compiler's default limits
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::functional<"ResNet152", [](auto& g) {
  auto x = g.input(Input{224, 224, 3});
  x = g(ZeroPadding2D{3}, x);
  x = g(Conv2D{.filters = 64, .kernel_size = 7, .strides = 2, .name = "conv1"}, x);
  x = g(BatchNormalization{.axis = 3, .name = "bn_conv1"}, x);
  x = g(Activation{relu}, x);
  x = g(MaxPooling2D{.pool_size = 3, .strides = 2}, x);
  const int blocks[] = {3, 8, 36, 3};
  for (int stage = 2; stage <= 5; ++stage) {
    const int f = 64 << (stage - 2);
    for (int b = 0; b < blocks[stage - 2]; ++b) {
      const char block = static_cast<char>('a' + b % 26);
      const int id = stage * 100 + b;  // unique block names past 'z'
      x = b == 0 ? cnngen::convolutional_block(g, x, 3, {f, f, 4 * f}, id, block, stage == 2 ? 1 : 2)
                 : cnngen::identity_block(g, x, 3, {f, f, 4 * f}, id, block);
    }
  }
  x = g(GlobalAveragePooling2D{}, x);
  return g(Dense{.units = 1000, .activation = softmax, .name = "fc1000"}, x);
}>();
static_assert(m.size == 516);
static_assert(m.total_params() == 60'419'944);  // Keras's count for ResNet152

