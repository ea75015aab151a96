// Writing a model. Two forms, both evaluated entirely at compile time:
//
//   constexpr auto happy = cnngen::sequential<"HappyModel",
//       Input{64, 64, 3},
//       ZeroPadding2D{3},
//       Conv2D{.filters = 32, .kernel_size = 7, .name = "conv0"}, ...>();
//
//   constexpr auto net = cnngen::functional<"ResNet50", [](auto& g) {
//     auto x = g.input(Input{64, 64, 3});
//     auto shortcut = x;
//     x = g(Conv2D{...}, x);
//     return g(Add{}, x, shortcut);
//   }>();
//
// A functional model with auxiliary outputs returns cnngen::outputs(main, {aux, loss_weight}, ...)
// (node.hpp): they are trained with the main output and dropped at inference.
//
// A mistake in either is a compile error whose first line reads
//   In instantiation of 'struct cnngen::invalid_model<cnngen::FixedString<...>{"layer conv0 (Conv2D): kernel 7x7
//   does not fit the input (None, 5, 5, 3) with padding valid"}>'
#pragma once
#include "graph.hpp"

namespace cnngen {

// Instantiated only for an invalid model: the reason is its template argument, which the compiler
// prints on the first line of the error.
template <auto Reason>
struct invalid_model {
  static_assert(Reason.empty(), "cnngen: invalid model; the reason is the string in invalid_model<...> above");
};

namespace detail {

template <int Cap, class Layer>
constexpr Tensor apply(Graph<Cap>& g, const Layer& layer, Tensor x) {
  if constexpr (std::is_same_v<Layer, layers::Input>) return g.input(layer);
  else return g(layer, x);
}

template <const auto& G>
consteval auto checked() {
  constexpr std::size_t len = G.error.size();
  if constexpr (len > 0) return invalid_model<trimmed<len>(G.error)>{};
  else return 0;
}

// Copies a graph into one whose capacity is its size, so that a model costs what it holds.
template <int Size, int Cap>
constexpr Graph<Size> compact(const Graph<Cap>& big) {
  Graph<Size> g;
  g.name = big.name;
  for (int i = 0; i < Size; ++i) g.nodes[i] = big.nodes[i];
  for (int k = 0; k < kLayerKinds; ++k) g.named[k] = big.named[k];
  g.size = Size;
  g.output = big.output;
  for (int k = 0; k < big.auxiliary_count; ++k) g.auxiliary[k] = big.auxiliary[k];
  g.auxiliary_count = big.auxiliary_count;
  return g;
}

template <FixedString ModelName, auto... Layers>
constexpr Graph<static_cast<int>(sizeof...(Layers))> build_sequential() {
  Graph<static_cast<int>(sizeof...(Layers))> g;
  g.name = Name(ModelName.view());
  Tensor x;
  ((x = apply(g, Layers, x)), ...);
  g.finish(x);
  return g;
}

template <FixedString ModelName, auto Build, int Cap>
constexpr Graph<Cap> build_functional() {
  Graph<Cap> g;
  g.name = Name(ModelName.view());
  g.finish(Build(g));
  return g;
}

template <FixedString ModelName, auto... Layers>
inline constexpr auto sequential_graph = build_sequential<ModelName, Layers...>();

template <FixedString ModelName, auto Build, int Cap>
inline constexpr auto functional_graph = build_functional<ModelName, Build, Cap>();

}  // namespace detail

template <FixedString ModelName, auto... Layers>
consteval auto sequential() {
  constexpr const auto& g = detail::sequential_graph<ModelName, Layers...>;
  detail::checked<g>();
  return g;
}

// Cap bounds the number of layers while the model is written (ResNet50 has 177, ResNet152 517).
template <FixedString ModelName, auto Build, int Cap = 1024>
consteval auto functional() {
  constexpr const auto& big = detail::functional_graph<ModelName, Build, Cap>;
  detail::checked<big>();
  return detail::compact<(big.size > 0 ? big.size : 1)>(big);
}

}  // namespace cnngen
