// The second, independent oracle for the hand-written backward kernels: Halide's own automatic
// differentiation (propagate_adjoints) of each layer's forward algorithm, JIT-compiled unscheduled
// on small shapes, against the generated (AOT, hand-written, scheduled) backward kernels.
// HALIDE14.md pitfall 7: the incoming adjoint must be zero outside its region, or the gradients
// are silently wrong; it is wrapped with constant_exterior here. Pitfall 8: the derivative graph
// reads inputs past the exact bounds the kernels declare, so the oracle drops those constraints
// and binds each input inside a margin of zeros (which meets only zero adjoint).
// Each kind's unit test (tests/layers/<unit>.cpp) says whether it has such a check, and why not
// (MaxPooling2D: propagate_adjoints cannot differentiate an inline maximum; BatchNormalization: its
// derivative graph over-reads the batch, whose extent is data to it, so no margin works).
#include <Halide.h>
#include <gtest/gtest.h>

#include <kernel.hpp>
#include <zoo.hpp>

#include "harness.hpp"
#include "layers/dispatch.hpp"
#include "zoo.hpp"

namespace {

using cnngen::Node;
using harness::Vec;

const int kBatch = 2;

Halide::Buffer<float> halide_buffer(const Vec& v, const std::vector<int>& dims) {
  Halide::Buffer<float> b(dims);
  std::copy(v.begin(), v.end(), b.data());
  return b;
}

Vec values(const Halide::Buffer<float>& b) { return Vec(b.data(), b.data() + b.number_of_elements()); }

struct Case {
  cnngen::GraphView graph;
  int node;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.graph.name << " layer " << c.graph.nodes[c.node].name.view(); }

// The spec of node n's forward kernel: its own kind's fwd pass.
cnngen::KernelSpec forward_spec(const Node& n) { return cnngen::spec_of(n, cnngen::Pass::fwd); }

// One case per distinct kernel of the kinds whose unit has such a check: JIT-compiling each
// derivative takes about a second.
std::vector<Case> cases() {
  std::vector<Case> out;
  std::vector<std::string> seen;
  for (cnngen::GraphView g : zoo::all)
    for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i) {
      const Node& n = g.nodes[i];
      if (!n.reaches_output || !unit_tests::adjoint(n, nullptr)) continue;
      const std::string name = forward_spec(n).name();
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      out.push_back({g, i});
    }
  return out;
}

class Adjoints : public testing::TestWithParam<Case> {};

TEST_P(Adjoints, GeneratedBackwardMatchesPropagateAdjoints) {
  const auto [g, index] = GetParam();
  const Node& node = g.nodes[index];
  cnngen::codegen::BuiltKernel fwd =
      cnngen::codegen::build_kernel(forward_spec(node), /*scheduled=*/nullptr);

  // Seeded values for every input of the forward algorithm, in Halide's (innermost-first) dims.
  std::mt19937 rng(99 + index);
  std::vector<Halide::Buffer<float>> bound, margined;
  for (cnngen::codegen::KernelInput& in : fwd.inputs) {
    Halide::ImageParam& p = *in.image;
    std::vector<int> dims, margins;
    for (int d = 0; d < p.dimensions(); ++d) {
      const Halide::Expr e = p.parameter().extent_constraint(d);
      dims.push_back(e.defined() ? *Halide::Internal::as_const_int(e) : kBatch);
      margins.push_back(16);
    }
    size_t count = 1;
    for (int d : dims) count *= d;
    bound.push_back(halide_buffer(harness::random_vec(count, rng), dims));
    std::vector<int> wide, mins;
    for (size_t d = 0; d < dims.size(); ++d) wide.push_back(dims[d] + 2 * margins[d]), mins.push_back(-margins[d]);
    Halide::Buffer<float> m(wide);
    m.fill(0.0f);
    m.set_min(mins);
    m.copy_from(bound.back());
    margined.push_back(m);
    for (int d = 0; d < p.dimensions(); ++d) p.dim(d).set_bounds(Halide::Expr(), Halide::Expr()).set_stride(Halide::Expr());
    p.dim(0).set_stride(1);
    p.set(margined.back());
  }

  // The output's region, and a seeded adjoint that is zero outside it (pitfall 7).
  Halide::Func out = fwd.pipeline.outputs()[0];
  const cnngen::Shape o = node.out;
  const std::vector<int> out_dims = o.rank == 3 ? std::vector<int>{o.c, o.w, o.h, kBatch} : std::vector<int>{o.c, kBatch};
  size_t out_count = 1;
  Halide::Region region;
  for (int d : out_dims) out_count *= d, region.push_back({0, d});
  const Vec d_out = harness::random_vec(out_count, rng);
  Halide::Buffer<float> adjoint = halide_buffer(d_out, out_dims);
  const Halide::Derivative d = Halide::propagate_adjoints(out, Halide::BoundaryConditions::constant_exterior(adjoint, 0.0f), region);

  const auto dims_of = [&](size_t input) {
    std::vector<int> e;
    for (int k = 0; k < bound[input].dimensions(); ++k) e.push_back(bound[input].dim(k).extent());
    return e;
  };
  unit_tests::AdjointCheck check{
      node,
      [&](size_t input) { return harness::buffer(values(bound[input]), dims_of(input)); },
      [&](size_t input) { return values(d(Halide::Func(*fwd.inputs[input].image)).realize(dims_of(input))); },
      harness::buffer(d_out, out_dims),
      [&](cnngen::Op op, cnngen::Pass pass) { return cnngen::kernels_of(g, index).find(op, pass)->name(); },
      cnngen::generated::zoo()};
  unit_tests::adjoint(node, &check);  // the kind's unit: which backward kernels, which inputs
}

INSTANTIATE_TEST_SUITE_P(Zoo, Adjoints, testing::ValuesIn(cases()), [](const testing::TestParamInfo<Case>& i) {
  std::string s = std::string(i.param.graph.name) + "_" + std::string(i.param.graph.nodes[i.param.node].name.view());
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
});

}  // namespace
