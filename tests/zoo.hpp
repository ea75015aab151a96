// The test zoo: small models whose layers cover every kernel kind on odd and real shapes. Their
// generated kernels (library `zoo`) are compared with tests/reference on every node, and the
// models themselves are checked whole against finite differences.
#pragma once
#include <cnngen/dsl.hpp>

#include "../examples/happy_model/model.hpp"

namespace zoo {

using namespace cnngen::layers;

// Odd sizes everywhere; asymmetric padding; 'same' with a 2x3 kernel and stride 2; overlapping pools;
// a local response normalization whose windows reach past the channels.
inline constexpr auto odd = cnngen::sequential<"ZooOdd",
    Input{11, 9, 3},
    ZeroPadding2D{{1, 2}, {0, 3}},                                      // (14, 12, 3)
    Conv2D{.filters = 5, .kernel_size = 3},                             // (12, 10, 5)
    BatchNormalization{},
    Activation{relu},
    MaxPooling2D{.pool_size = 3, .strides = 2},                         // (5, 4, 5)
    LocalResponseNormalization{.depth_radius = 2, .bias = 1.5f, .alpha = 0.3f, .beta = 0.75f},  // windows past both ends
    Conv2D{.filters = 17, .kernel_size = {2, 3}, .strides = 2, .padding = same},  // (3, 2, 17)
    AveragePooling2D{.pool_size = 2, .strides = 1},                     // (2, 1, 17)
    Flatten{},                                                          // (34)
    Dense{.units = 7, .activation = relu},
    Dense{.units = 3, .activation = softmax}>();

// A strided 1x1 without bias, sigmoid, tanh, linear, a softmax over channels inside the network, a binary head.
inline constexpr auto activations = cnngen::sequential<"ZooActivations",
    Input{8, 8, 16},
    Conv2D{.filters = 32, .kernel_size = 1, .strides = 2, .use_bias = false},  // (4, 4, 32)
    BatchNormalization{},
    Activation{sigmoid},
    Conv2D{.filters = 16, .kernel_size = 3, .padding = same},          // (4, 4, 16)
    Activation{"tanh"},
    Activation{"linear"},
    Activation{softmax},
    MaxPooling2D{.pool_size = 2},                                       // (2, 2, 16)
    Flatten{},
    Dense{.units = 1, .activation = sigmoid}>();

// 'Same' convolutions on images tiled by rows (more than 16 pixels): a 3x5 kernel whose tile is
// one row of 10 pixels, so its forward leaves out the padding's taps (schedules/tiles.hpp's
// forward_skips_padding), 35 channels in tiles of 32; then a 3x3 whose tile spans two rows, which
// multiplies a materialised zero border. BatchNorm after each, fused into the inference forward.
inline constexpr auto padded = cnngen::sequential<"ZooPadded",
    Input{12, 10, 5},
    Conv2D{.filters = 35, .kernel_size = {3, 5}, .padding = same},    // (12, 10, 35)
    BatchNormalization{},
    Activation{relu},
    Conv2D{.filters = 16, .kernel_size = 3, .padding = same},         // (12, 10, 16)
    BatchNormalization{},
    Flatten{},
    Dense{.units = 3, .activation = softmax}>();

// A miniature ResNet: conv1-like 7x7/2 stem, an identity block and a strided projection block, Adds.
inline constexpr auto residual = cnngen::functional<"ZooResidual", [](auto& g) {
  auto x = g.input(Input{13, 13, 3});
  x = g(ZeroPadding2D{3}, x);                                          // (19, 19, 3)
  x = g(Conv2D{.filters = 8, .kernel_size = 7, .strides = 2}, x);      // (7, 7, 8)
  x = g(BatchNormalization{}, x);
  x = g(Activation{relu}, x);
  x = g(MaxPooling2D{.pool_size = 3, .strides = 2}, x);                // (3, 3, 8)
  auto shortcut = x;
  x = g(Conv2D{.filters = 4, .kernel_size = 1}, x);
  x = g(BatchNormalization{}, x);
  x = g(Activation{relu}, x);
  x = g(Conv2D{.filters = 4, .kernel_size = 3, .padding = same}, x);
  x = g(BatchNormalization{}, x);
  x = g(Activation{relu}, x);
  x = g(Conv2D{.filters = 8, .kernel_size = 1}, x);
  x = g(BatchNormalization{}, x);
  x = g(Add{}, x, shortcut);
  x = g(Activation{relu}, x);
  auto projection = g(Conv2D{.filters = 16, .kernel_size = 1, .strides = 2}, x);  // (2, 2, 16)
  projection = g(BatchNormalization{}, projection);
  x = g(Conv2D{.filters = 16, .kernel_size = 3, .strides = 2, .padding = same}, x);  // (2, 2, 16)
  x = g(BatchNormalization{}, x);
  x = g(Add{}, x, projection);
  x = g(Activation{relu}, x);
  x = g(AveragePooling2D{.pool_size = 2}, x);                          // (1, 1, 16)
  x = g(Flatten{}, x);
  return g(Dense{.units = 6, .activation = softmax}, x);
}>();

// The course's two blocks as the DSL builds them (their names, their stride placement), small.
inline constexpr auto blocks = cnngen::functional<"ZooBlocks", [](auto& g) {
  auto x = g.input(Input{7, 7, 8});
  x = cnngen::convolutional_block(g, x, 3, {4, 4, 16}, 2, 'a', 2);   // (4, 4, 16)
  x = cnngen::identity_block(g, x, 3, {4, 4, 16}, 2, 'b');
  x = g(Flatten{}, x);
  return g(Dense{.units = 3, .activation = softmax, .name = "fc3"}, x);
}>();

// Dense layers of the sizes classification heads have (LeNet-5's 120 -> 84 -> 10), none a multiple
// of a vector, and a softmax that is not the network's head.
inline constexpr auto heads = cnngen::sequential<"ZooHeads",
    Input{3, 3, 5},
    Flatten{},                                                          // (45)
    Dense{.units = 120, .activation = "tanh"},
    Dense{.units = 84, .activation = softmax},
    Dense{.units = 10, .activation = relu},
    Dense{.units = 17},
    BatchNormalization{},                                               // over a vector, then its relu fused
    Activation{relu},
    Dense{.units = 10, .activation = softmax}>();

// The whole image pooled two ways and added (flat tensors); Dropout on an image and on a vector.
inline constexpr auto global = cnngen::functional<"ZooGlobal", [](auto& g) {
  auto x = g.input(Input{7, 5, 6});
  x = g(Conv2D{.filters = 12, .kernel_size = 3, .padding = same}, x);  // (7, 5, 12)
  x = g(Dropout{.rate = 0.3f}, x);
  auto average = g(GlobalAveragePooling2D{}, x);                       // (12)
  auto maximum = g(GlobalMaxPooling2D{}, x);
  x = g(Add{}, average, maximum);
  x = g(Dropout{.rate = 0.5f}, x);
  return g(Dense{.units = 4, .activation = softmax}, x);
}>();

// Branches joined along the channels, as an Inception module joins them (a 'same' max pool's, and
// the input itself, among them), a 'same' average pool of odd size and stride 2, and two Dense
// layers' vectors joined.
inline constexpr auto branches = cnngen::functional<"ZooBranches", [](auto& g) {
  auto x = g.input(Input{6, 5, 4});
  auto a = g(Conv2D{.filters = 3, .kernel_size = 1, .activation = sigmoid}, x);
  auto b = g(Conv2D{.filters = 5, .kernel_size = 3, .padding = same, .activation = "tanh"}, x);
  auto c = g(Conv2D{.filters = 2, .kernel_size = {1, 3}, .padding = same, .activation = relu}, x);
  auto d = g(MaxPooling2D{.pool_size = 3, .strides = 1, .padding = same}, x);
  d = g(Conv2D{.filters = 2, .kernel_size = 1}, d);
  x = g(Concatenate{}, a, b, c, d, x);                                 // (6, 5, 16)
  x = g(Activation{relu}, x);
  x = g(AveragePooling2D{.pool_size = 3, .strides = 2, .padding = same}, x);  // (3, 3, 16)
  x = g(Flatten{}, x);
  auto f = g(Dense{.units = 7, .activation = relu}, x);
  auto h = g(Dense{.units = 9}, x);
  g(Dense{.units = 5, .name = "unread"}, h);                          // a branch the output never reads
  x = g(Concatenate{}, f, h);                                          // (16)
  return g(Dense{.units = 3, .activation = softmax}, x);
}>();

// A main and an auxiliary softmax head, the auxiliary (an Activation layer's, after a Dense) read from
// the middle as Inception's are: trained together with the auxiliary's loss weighted, the auxiliary
// left out at inference.
inline constexpr auto auxiliary = cnngen::functional<"ZooAuxiliary", [](auto& g) {
  auto x = g.input(Input{7, 5, 3});
  x = g(Conv2D{.filters = 6, .kernel_size = 3, .padding = same, .activation = relu}, x);
  auto aux = g(AveragePooling2D{.pool_size = 3, .strides = 2, .name = "aux_pool"}, x);  // (3, 2, 6)
  aux = g(Conv2D{.filters = 4, .kernel_size = 1, .activation = relu, .name = "aux_conv"}, aux);
  aux = g(Flatten{.name = "aux_flatten"}, aux);
  aux = g(Dense{.units = 5, .name = "aux_logits"}, aux);
  aux = g(Activation{.activation = softmax, .name = "aux_predictions"}, aux);
  x = g(Conv2D{.filters = 8, .kernel_size = 3, .strides = 2, .padding = same}, x);  // (4, 3, 8)
  x = g(BatchNormalization{}, x);
  x = g(Activation{relu}, x);
  x = g(GlobalAveragePooling2D{}, x);
  x = g(Dense{.units = 5, .activation = softmax, .name = "predictions"}, x);
  return cnngen::outputs(x, {aux, 0.3f});
}>();

// ResNet50 stage-2 shapes: 3x3 'same' 64 -> 64 and the 1x1 expansions on 15x15; then a strided 1x1
// to 256 channels, whose weight gradient reads its input blocked (schedules/tiles.hpp's
// blocks_weight_gradient_input), 64 channels in tiles of 14.
inline constexpr auto stage2 = cnngen::sequential<"ZooStage2",
    Input{15, 15, 64},
    Conv2D{.filters = 64, .kernel_size = 3, .padding = same, .activation = relu},  // the epilogue on row tiles
    LocalResponseNormalization{.depth_radius = 2, .bias = 2, .alpha = 1e-2f, .beta = 0.75f},  // AlexNet's, alpha x100
    Conv2D{.filters = 256, .kernel_size = 1},
    Conv2D{.filters = 64, .kernel_size = 1},
    Conv2D{.filters = 256, .kernel_size = 1, .strides = 2},           // (8, 8, 256)
    BatchNormalization{},
    Activation{relu},
    Flatten{},
    Dense{.units = 6, .activation = softmax}>();

// ResNet50 stage-4/5 geometry at fewer channels: 3x3 'same' on 4x4 and 2x2 images and a strided 1x1
// between them, whose kernels tile across the batch (schedules/tiles.hpp's batch_tiled) once a batch
// holds a whole tile; test_kernels runs them at batch 16 too, a partial last tile.
inline constexpr auto stage45 = cnngen::sequential<"ZooStage45",
    Input{4, 4, 64},
    Conv2D{.filters = 128, .kernel_size = 3, .padding = same},        // (4, 4, 128)
    Conv2D{.filters = 256, .kernel_size = 1, .strides = 2},           // (2, 2, 256)
    Conv2D{.filters = 64, .kernel_size = 3, .padding = same, .activation = "tanh"},  // (2, 2, 64), on batch tiles
    // (tanh, not relu: whole-network differences through relu kinks on 2x2 images proved too rough)
    Conv2D{.filters = 256, .kernel_size = 1},                         // (2, 2, 256): a blocked input, guarded tiles
    BatchNormalization{},
    Activation{relu},
    Flatten{},
    Dense{.units = 6, .activation = softmax}>();

// A model blind to where things are in the image: its mirror predicts as the image does (what
// test-time crops are checked with).
inline constexpr auto pooled = cnngen::sequential<"ZooPooled",
    Input{8, 6, 3},
    GlobalAveragePooling2D{},
    Dense{.units = 3, .activation = softmax}>();

// Every zoo model, and HappyModel: what the kernel tests walk. Their kernels are library `zoo`.
inline constexpr cnngen::GraphView all[] = {odd, padded, activations, heads, global, branches, auxiliary, residual, blocks, stage2, stage45,
                                            happy_model::model};

}  // namespace zoo
