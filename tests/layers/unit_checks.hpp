// What a layer kind's test unit (tests/layers/<unit>.cpp) defines, and the fixtures it gets. Each
// unit checks its own kernels; the suites (test_kernels, test_network, test_adjoints) run them over
// the zoo through kinds.hpp's list:
//   void check_<unit>(KernelCheck&)          its node's generated kernels against the naive references
//                                            (tests/reference.cpp) and central finite differences
//   void reference_<unit>(ReferenceNet&, int node)
//                                            its node in the whole-network reference (naive code)
//   bool adjoint_<unit>(node, AdjointCheck*) its backward against Halide's propagate_adjoints of its
//                                            forward; with nullptr: whether it has such a check for node
#pragma once
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <cnngen/network.hpp>

#include "../harness.hpp"
#include "../reference.hpp"

namespace unit_tests {

using harness::Buffer;
using harness::Vec;

// A new buffer of b's extents.
inline Buffer shaped_like(const Buffer& b) {
  std::vector<int> dims;
  for (int d = 0; d < b.dimensions(); ++d) dims.push_back(b.dim(d).extent());
  return Buffer(dims);
}

// Runs the kernel of that name with Halide's argv arguments (inputs, then outputs), failing the test
// if it fails: the zoo's generated library by default, or the shape sweep's JIT-compiled kernels.
using KernelRunner = std::function<void(const std::string& name, std::vector<void*> args)>;

// One node of a zoo model at batch n, with seeded data of its shapes.
struct KernelCheck {
  KernelCheck(cnngen::GraphView g, int node, int batch, KernelRunner runner = {});
  cnngen::GraphView graph;
  int index, n;
  const cnngen::Node& node;
  std::mt19937 rng;
  cnngen::Shape in_s, out_s;
  Vec in, d_out;             // random input and output gradient of the node's shapes
  cnngen::Act fused;         // the activation its forward applies (fusion.hpp's fused_activation)
  cnngen::KernelSpec spec;   // the node's geometry, for the references
  KernelRunner runner;
  // The name of this node's kernel of that kind and pass (the nth of them), as its unit lists it.
  std::string name(cnngen::Op op, cnngen::Pass pass, int nth = 0) const;
  void call(cnngen::Op op, cnngen::Pass pass, std::vector<void*> args, int nth = 0) const;
};

// d/dx_i of sum(g * f(x)), checked at a few seeded indices against `analytic` (the generated
// backward). h: small enough not to cross a kink (a max pool's argmax), large enough for floats.
void expect_matches_differences(const std::string& what, const std::function<Vec(const Vec&)>& f, const Vec& x,
                                const Vec& g, const Vec& analytic, std::mt19937& rng, double h = 1e-2);

// The whole-network reference while it runs: each node's output, sample-major NHWC.
struct ReferenceNet {
  const cnngen::Network& net;
  bool training;
  int n;
  std::vector<Vec> out;
  Vec param(const cnngen::Node& node, const char* what) const;
};

// A node's forward algorithm JIT-differentiated by Halide, and its generated backward kernels to compare.
struct AdjointCheck {
  const cnngen::Node& node;
  std::function<Buffer(size_t input)> bound;       // the value bound to the forward's input #i
  std::function<Vec(size_t input)> oracle;          // propagate_adjoints' gradient of input #i
  Buffer d_out;                                     // the output gradient both take
  std::function<std::string(cnngen::Op, cnngen::Pass)> name;
  const cnngen::KernelTable& table;
};

// The activation kernels of t's node applied to act_in (tests/layers/activation.cpp): the
// Activation unit's check, and the Dense unit's for its activation.
void check_activation_kernels(KernelCheck& t, cnngen::Act act, const Vec& act_in);

// The adjoint check of a layer with weights (Conv2D, Dense: op): inputs in, w, [b]; its bwd_data
// and bwd_weights kernels against propagate_adjoints' gradients of all three.
void adjoint_of_weights_layer(AdjointCheck& c, cnngen::Op op);

#define CNNGEN_DECLARE_UNIT_TESTS(unit, type)   \
  void check_##unit(KernelCheck& c);            \
  void reference_##unit(ReferenceNet& r, int node); \
  bool adjoint_##unit(const cnngen::Node& node, AdjointCheck* c);
CNNGEN_LAYER_KINDS(CNNGEN_DECLARE_UNIT_TESTS)
#undef CNNGEN_DECLARE_UNIT_TESTS

}  // namespace unit_tests
