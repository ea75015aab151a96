// The registration of every layer kind: its unit's name (the files dsl/cnngen/layers/<name>.hpp,
// codegen/<name>.cpp, runtime/src/layers/<name>.cpp, tests/layers/<name>.cpp) and its DSL type.
// A node's Op is its kind's place in this list; the planner, the generator, the executor and the
// tests find a kind's parts through it. Adding a layer kind: write its unit, add one line here.
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
  X(concatenate, Concatenate)

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
