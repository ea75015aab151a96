// The course's ResNet blocks, as reusable DSL functions of a functional model's builder. They
// produce the course's layer names: stage 2, block 'a' gives res2a_branch2a, bn2a_branch2a, ...,
// res2a_branch1 and bn2a_branch1 (the shortcut of a convolutional block).
#pragma once
#include "graph.hpp"

namespace cnngen {

struct Filters {
  int f1, f2, f3;
};

namespace detail {

// "res2a_branch2a" from ("res", 2, 'a', "2a").
constexpr Name block_name(std::string_view base, int stage, char block, std::string_view branch) {
  Name n;
  n += base;
  n += stage;
  n += block;
  n += "_branch";
  n += branch;
  return n;
}

// CONV -> BN (-> RELU) of one branch step.
template <class G>
constexpr Tensor conv_bn(G& g, Tensor x, int filters, int kernel, int stride, Padding padding, int stage, char block,
                         std::string_view branch, bool relu) {
  // Fields assigned one by one: GCC 12's -Wextra flags designated initializers that leave any out.
  layers::Conv2D conv;
  conv.filters = filters, conv.kernel_size = kernel, conv.strides = stride, conv.padding = padding;
  conv.name = block_name("res", stage, block, branch);
  layers::BatchNormalization bn;
  bn.axis = 3, bn.name = block_name("bn", stage, block, branch);
  x = g(bn, g(conv, x));
  if (relu) x = g(layers::Activation{Act::relu, {}}, x);
  return x;
}

}  // namespace detail

// identity_block(X, f, filters, stage, block): the shortcut is the input itself, so the block's
// output has the input's shape (F3 must equal the input channels; Add checks it).
template <class G>
constexpr Tensor identity_block(G& g, Tensor x, int f, Filters filters, int stage, char block) {
  const Tensor shortcut = x;
  x = detail::conv_bn(g, x, filters.f1, 1, 1, Padding::valid, stage, block, "2a", true);
  x = detail::conv_bn(g, x, filters.f2, f, 1, Padding::same, stage, block, "2b", true);
  x = detail::conv_bn(g, x, filters.f3, 1, 1, Padding::valid, stage, block, "2c", false);
  x = g(layers::Add{{}}, x, shortcut);
  return g(layers::Activation{Act::relu, {}}, x);
}

// convolutional_block(X, f, filters, stage, block, s): the stride s sits on the main path's first
// 1x1 convolution and on the shortcut's 1x1 convolution, as the course writes it.
template <class G>
constexpr Tensor convolutional_block(G& g, Tensor x, int f, Filters filters, int stage, char block, int s = 2) {
  Tensor shortcut = x;
  x = detail::conv_bn(g, x, filters.f1, 1, s, Padding::valid, stage, block, "2a", true);
  x = detail::conv_bn(g, x, filters.f2, f, 1, Padding::same, stage, block, "2b", true);
  x = detail::conv_bn(g, x, filters.f3, 1, 1, Padding::valid, stage, block, "2c", false);
  shortcut = detail::conv_bn(g, shortcut, filters.f3, 1, s, Padding::valid, stage, block, "1", false);
  x = g(layers::Add{{}}, x, shortcut);
  return g(layers::Activation{Act::relu, {}}, x);
}

}  // namespace cnngen

namespace cnngen {

// The course's Inception module: four branches over the same input, joined along the channels.
//   1x1 conv (f1x1)  |  1x1 conv (f3x3_reduce) -> 3x3 conv (f3x3)  |  1x1 conv (f5x5_reduce) -> 5x5 conv
//   (f5x5)  |  3x3 'same' max pool, stride 1 -> 1x1 conv (pool_proj); every convolution 'same' with ReLU.
// On 28x28x192 with {64, 96, 128, 16, 32, 32} it gives the course's 28x28x256.
struct InceptionFilters {
  int f1x1, f3x3_reduce, f3x3, f5x5_reduce, f5x5, pool_proj;
};

template <class G>
constexpr Tensor inception_module(G& g, Tensor x, InceptionFilters f, std::string_view name) {
  const auto conv = [&](Tensor in, int filters, int k, std::string_view part) {
    layers::Conv2D c;
    c.filters = filters, c.kernel_size = k, c.padding = Padding::same, c.activation = Act::relu;
    c.name += name, c.name += "_", c.name += part;
    return g(c, in);
  };
  layers::MaxPooling2D pool;
  pool.pool_size = 3, pool.strides = 1, pool.padding = Padding::same;
  pool.name += name, pool.name += "_pool";
  layers::Concatenate join;
  join.name += name, join.name += "_output";
  return g(join, conv(x, f.f1x1, 1, "1x1"), conv(conv(x, f.f3x3_reduce, 1, "3x3_reduce"), f.f3x3, 3, "3x3"),
           conv(conv(x, f.f5x5_reduce, 1, "5x5_reduce"), f.f5x5, 5, "5x5"), conv(g(pool, x), f.pool_proj, 1, "pool_proj"));
}

}  // namespace cnngen
