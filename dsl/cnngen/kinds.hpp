// The registration of every layer kind: its unit's name and its DSL type. A node's Op is its kind's
// place in this list. The unit name prefixes its kernels (conv2d_fwd) and names what its files
// define: LayerKind<type> in dsl/cnngen/layers/, build_<unit> in codegen/, make_<unit>_step in
// runtime/src/layers/, check_, reference_ and adjoint_<unit> in tests/layers/ (close kinds may share
// a file, as MaxPooling2D and AveragePooling2D do); the planner, the generator, the executor and
// the tests find them through this list. Adding a layer kind: write its unit, add one line here
// (and its header's #include in registry.hpp).
#pragma once

#define CNNGEN_LAYER_KINDS(X)           \
  X(input, Input)                       \
  X(zero_padding2d, ZeroPadding2D)      \
  X(conv2d, Conv2D)                     \
  X(batch_norm, BatchNormalization)     \
  X(activation, Activation)             \
  X(max_pool2d, MaxPooling2D)           \
  X(avg_pool2d, AveragePooling2D)       \
  X(flatten, Flatten)                   \
  X(dense, Dense)                       \
  X(add, Add)                           \
  X(global_avg_pool2d, GlobalAveragePooling2D) \
  X(global_max_pool2d, GlobalMaxPooling2D) \
  X(dropout, Dropout)                   \
  X(concatenate, Concatenate)           \
  X(local_response_norm, LocalResponseNormalization)

namespace cnngen {

#define CNNGEN_OP(unit, type) unit,
enum class Op : unsigned char { CNNGEN_LAYER_KINDS(CNNGEN_OP) };
#undef CNNGEN_OP

#define CNNGEN_COUNT(unit, type) +1
inline constexpr int kLayerKinds = 0 CNNGEN_LAYER_KINDS(CNNGEN_COUNT);
#undef CNNGEN_COUNT

#define CNNGEN_UNIT_NAME(unit, type) #unit,
inline constexpr const char* unit_names[] = {CNNGEN_LAYER_KINDS(CNNGEN_UNIT_NAME)};
#undef CNNGEN_UNIT_NAME

}  // namespace cnngen
