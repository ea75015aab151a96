// A node's test unit, found through kinds.hpp's list.
#pragma once
#include "unit_checks.hpp"

namespace unit_tests {

inline void check(KernelCheck& c) {
#define CNNGEN_CHECK(unit, type) &check_##unit,
  static constexpr void (*checks[])(KernelCheck&) = {CNNGEN_LAYER_KINDS(CNNGEN_CHECK)};
#undef CNNGEN_CHECK
  checks[static_cast<int>(c.node.op)](c);
}

inline void reference(ReferenceNet& r, int node) {
#define CNNGEN_REFERENCE(unit, type) &reference_##unit,
  static constexpr void (*references[])(ReferenceNet&, int) = {CNNGEN_LAYER_KINDS(CNNGEN_REFERENCE)};
#undef CNNGEN_REFERENCE
  references[static_cast<int>(r.net.graph().nodes[node].op)](r, node);
}

inline bool adjoint(const cnngen::Node& node, AdjointCheck* c) {
#define CNNGEN_ADJOINT(unit, type) &adjoint_##unit,
  static constexpr bool (*adjoints[])(const cnngen::Node&, AdjointCheck*) = {CNNGEN_LAYER_KINDS(CNNGEN_ADJOINT)};
#undef CNNGEN_ADJOINT
  return adjoints[static_cast<int>(node.op)](node, c);
}

}  // namespace unit_tests
