// The course's ResNet50(input_shape, classes):
//   CONV2D -> BATCHNORM -> RELU -> MAXPOOL -> CONVBLOCK -> IDBLOCK*2 -> CONVBLOCK -> IDBLOCK*3
//   -> CONVBLOCK -> IDBLOCK*5 -> CONVBLOCK -> IDBLOCK*2 -> AVGPOOL -> TOPLAYER
// for any input of at least 64x64 (smaller ones are a compile error naming the layer and shape)
// and any class count; the SIGNS program's is ResNet50<64, 64, 3, 6>.
#pragma once
#include <cnngen/dsl.hpp>

namespace resnet50 {

using namespace cnngen::layers;
using cnngen::convolutional_block;
using cnngen::identity_block;

template <int Height, int Width, int Channels, int Classes>
inline constexpr auto ResNet50 = cnngen::functional<"ResNet50", [](auto& g) {
  auto x = g.input(Input{Height, Width, Channels});
  x = g(ZeroPadding2D{3}, x);

  // Stage 1
  x = g(Conv2D{.filters = 64, .kernel_size = 7, .strides = 2, .name = "conv1"}, x);
  x = g(BatchNormalization{.axis = 3, .name = "bn_conv1"}, x);
  x = g(Activation{relu}, x);
  x = g(MaxPooling2D{.pool_size = 3, .strides = 2}, x);

  // Stage 2
  x = convolutional_block(g, x, 3, {64, 64, 256}, 2, 'a', 1);
  x = identity_block(g, x, 3, {64, 64, 256}, 2, 'b');
  x = identity_block(g, x, 3, {64, 64, 256}, 2, 'c');

  // Stage 3
  x = convolutional_block(g, x, 3, {128, 128, 512}, 3, 'a', 2);
  x = identity_block(g, x, 3, {128, 128, 512}, 3, 'b');
  x = identity_block(g, x, 3, {128, 128, 512}, 3, 'c');
  x = identity_block(g, x, 3, {128, 128, 512}, 3, 'd');

  // Stage 4
  x = convolutional_block(g, x, 3, {256, 256, 1024}, 4, 'a', 2);
  x = identity_block(g, x, 3, {256, 256, 1024}, 4, 'b');
  x = identity_block(g, x, 3, {256, 256, 1024}, 4, 'c');
  x = identity_block(g, x, 3, {256, 256, 1024}, 4, 'd');
  x = identity_block(g, x, 3, {256, 256, 1024}, 4, 'e');
  x = identity_block(g, x, 3, {256, 256, 1024}, 4, 'f');

  // Stage 5
  x = convolutional_block(g, x, 3, {512, 512, 2048}, 5, 'a', 2);
  x = identity_block(g, x, 3, {512, 512, 2048}, 5, 'b');
  x = identity_block(g, x, 3, {512, 512, 2048}, 5, 'c');

  x = g(AveragePooling2D{.pool_size = 2, .strides = 2}, x);
  x = g(Flatten{}, x);
  // The course names the head after its classes: fc6 for SIGNS.
  cnngen::Name head;
  head += "fc";
  head += Classes;
  return g(Dense{.units = Classes, .activation = softmax, .name = head}, x);
}>();

inline constexpr auto model = ResNet50<64, 64, 3, 6>;

// The course's model.summary(), checked whenever this header compiles.
static_assert(model.total_params() == 23'600'006);
static_assert(model.trainable_params() == 23'546'886);
static_assert(model.non_trainable_params() == 53'120);

constexpr cnngen::Shape shape_of(std::string_view layer) {
  for (const auto& n : model.view())
    if (n.name.view() == layer) return n.out;
  return {};
}
static_assert(shape_of("conv1") == cnngen::Shape::image(32, 32, 64));
static_assert(shape_of("max_pooling2d_1") == cnngen::Shape::image(15, 15, 64));
static_assert(shape_of("activation_22") == cnngen::Shape::image(8, 8, 512));    // end of stage 3
static_assert(shape_of("activation_40") == cnngen::Shape::image(4, 4, 1024));   // end of stage 4
static_assert(shape_of("activation_49") == cnngen::Shape::image(2, 2, 2048));   // end of stage 5
static_assert(shape_of("average_pooling2d_1") == cnngen::Shape::image(1, 1, 2048));
static_assert(model.output_shape() == cnngen::Shape::flat(6));

// The transfer-learning demonstration's model (build/bin/resnet50_3class): three of the SIGNS classes
// (--classes), its head fc3 in place of fc6, everything else as the six-class model's, so that
// --init-from copies all but the head.
inline constexpr auto three_classes = ResNet50<64, 64, 3, 3>;
static_assert(three_classes.total_params() == 23'600'006 - 3 * 2049);

// The same definition for another data set: 96x96 images of 10 classes (STL-10's size). Stage 5
// ends on 3x3 images, which the 2x2 average pool takes to 1x1 as Keras's 'valid' pool does.
inline constexpr auto resnet50_96_10 = ResNet50<96, 96, 3, 10>;
static_assert(resnet50_96_10.output_shape() == cnngen::Shape::flat(10));
static_assert(resnet50_96_10.total_params() == 23'600'006 - 6 * 2049 + 10 * 2049);

}  // namespace resnet50
