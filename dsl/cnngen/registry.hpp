// Every layer kind's unit, and the table through which the graph, the planner and the summary reach
// a node's kind: its Keras names, its parameter counts, its kernels.
#pragma once
#include "kinds.hpp"
#include "layers/activation.hpp"
#include "layers/add.hpp"
#include "layers/batch_norm.hpp"
#include "layers/concatenate.hpp"
#include "layers/conv2d.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/flatten.hpp"
#include "layers/global_pooling2d.hpp"
#include "layers/input.hpp"
#include "layers/local_response_norm.hpp"
#include "layers/pooling2d.hpp"
#include "layers/zero_padding2d.hpp"

namespace cnngen {

struct KindInfo {
  std::string_view keras_type, keras_prefix;
  long long (*params)(const Node&);
  long long (*non_trainable_params)(const Node&);
  long long (*macs)(const Node&);
  NodeKernels (*kernels)(const GraphView&, int node);
};

// A kind's multiply-accumulates per sample, for the kinds that define them.
template <class L>
constexpr long long macs_of(const Node& n) {
  if constexpr (requires { LayerKind<L>::macs(n); }) return LayerKind<L>::macs(n);
  else return 0;
}

#define CNNGEN_KIND_INFO(unit, type)                                                              \
  KindInfo{LayerKind<layers::type>::keras_type, LayerKind<layers::type>::keras_prefix,           \
           &LayerKind<layers::type>::params, &LayerKind<layers::type>::non_trainable_params,      \
           &macs_of<layers::type>, &LayerKind<layers::type>::kernels},
inline constexpr KindInfo kind_infos[] = {CNNGEN_LAYER_KINDS(CNNGEN_KIND_INFO)};
#undef CNNGEN_KIND_INFO

#define CNNGEN_CHECK_OP(unit, type) \
  static_assert(LayerKind<layers::type>::op == Op::unit, "kinds.hpp: " #type "'s unit says another op");
CNNGEN_LAYER_KINDS(CNNGEN_CHECK_OP)
#undef CNNGEN_CHECK_OP

constexpr const KindInfo& kind_of(Op op) { return kind_infos[static_cast<int>(op)]; }
constexpr std::string_view keras_type(Op op) { return kind_of(op).keras_type; }

constexpr long long params(const Node& n) { return n.reaches_output ? kind_of(n.op).params(n) : 0; }
constexpr long long non_trainable_params(const Node& n) {
  return n.reaches_output ? kind_of(n.op).non_trainable_params(n) : 0;
}
constexpr long long trainable_params(const Node& n) { return params(n) - non_trainable_params(n); }
constexpr long long macs(const Node& n) { return n.reaches_output ? kind_of(n.op).macs(n) : 0; }

}  // namespace cnngen
