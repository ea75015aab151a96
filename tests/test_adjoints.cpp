// The second, independent oracle for the hand-written backward kernels: Halide's own automatic
// differentiation (propagate_adjoints) of each layer's forward algorithm, JIT-compiled unscheduled
// on small shapes, against the generated (AOT, hand-written, scheduled) backward kernels.
// HALIDE14.md pitfall 7: the incoming adjoint must be zero outside its region, or the gradients
// are silently wrong; it is wrapped with constant_exterior here. Pitfall 8: the derivative graph
// reads inputs past the exact bounds the kernels declare, so the oracle drops those constraints
// and binds each input inside a margin of zeros (which meets only zero adjoint).
// Not here, and why (test_kernels checks both against the reference and finite differences,
// test_network through whole networks): MaxPooling2D, because propagate_adjoints cannot
// differentiate an inline maximum; BatchNormalization, because its derivative graph over-reads the
// batch dimension too, and the batch extent is data to it (it divides by N), so no margin works.
#include <Halide.h>
#include <gtest/gtest.h>

#include <kernel.hpp>
#include <zoo.hpp>

#include "harness.hpp"
#include "zoo.hpp"

namespace {

using cnngen::Kernel;
using cnngen::Node;
using cnngen::Op;
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

Kernel forward_kind(const Node& n) {
  return n.op == Op::conv2d ? Kernel::conv_fwd
         : n.op == Op::avg_pool2d ? Kernel::avgpool_fwd
         : n.op == Op::dense ? Kernel::dense_fwd
                             : Kernel::zeropad_fwd;
}

// One case per distinct kernel: JIT-compiling each derivative takes about a second.
std::vector<Case> cases() {
  std::vector<Case> out;
  std::vector<std::string> seen;
  for (cnngen::GraphView g : {cnngen::GraphView(zoo::odd), cnngen::GraphView(zoo::padded), cnngen::GraphView(zoo::residual), cnngen::GraphView(zoo::activations)})
    for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i) {
      const Node& n = g.nodes[i];
      if (n.op == Op::conv2d || n.op == Op::avg_pool2d ||
          n.op == Op::dense || n.op == Op::zero_padding2d) {
        // Halide 14's propagate_adjoints itself segfaults (a memcpy inside libHalide) on a pool whose
        // output is 1x1, such as ResNet50's final 2x2 average over 2x2; test_kernels checks that one.
        if (n.op == Op::avg_pool2d && n.out.h * n.out.w == 1) continue;
        const std::string name = cnngen::kernel_for(n, forward_kind(n)).name();
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
        seen.push_back(name);
        out.push_back({g, i});
      }
    }
  return out;
}

class Adjoints : public testing::TestWithParam<Case> {};

TEST_P(Adjoints, GeneratedBackwardMatchesPropagateAdjoints) {
  const auto [g, index] = GetParam();
  const Node& node = g.nodes[index];
  cnngen::codegen::BuiltKernel fwd =
      cnngen::codegen::build_kernel(cnngen::kernel_for(node, forward_kind(node)), /*scheduled=*/false);

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

  const auto name = [&](Kernel k) { return cnngen::kernel_for(node, k).name(); };
  const cnngen::KernelTable& table = cnngen::generated::zoo();
  harness::Buffer d_out_b = harness::buffer(d_out, out_dims);
  const auto aot = [&](const std::vector<int>& dims) { return harness::Buffer(dims); };
  const auto dims_of = [&](size_t input) {
    std::vector<int> e;
    for (int k = 0; k < bound[input].dimensions(); ++k) e.push_back(bound[input].dim(k).extent());
    return e;
  };
  const auto rt = [&](size_t input) { return harness::buffer(values(bound[input]), dims_of(input)); };
  const auto oracle = [&](size_t input) {
    return values(d(Halide::Func(*fwd.inputs[input].image)).realize(dims_of(input)));
  };

  switch (node.op) {
    case Op::conv2d: case Op::dense: {
      const bool conv = node.op == Op::conv2d;
      harness::Buffer in = rt(0), w = rt(1), d_in = aot(dims_of(0)), d_w = aot(dims_of(1)), d_b = aot({node.units});
      harness::call(table, name(conv ? Kernel::conv_bwd_data : Kernel::dense_bwd_data), {d_out_b.raw_buffer(), w.raw_buffer(), d_in.raw_buffer()});
      std::vector<void*> args{in.raw_buffer(), d_out_b.raw_buffer(), d_w.raw_buffer()};
      if (node.use_bias) args.push_back(d_b.raw_buffer());
      harness::call(table, name(conv ? Kernel::conv_bwd_weights : Kernel::dense_bwd_weights), args);
      EXPECT_CLOSE(harness::vec(d_in), oracle(0), "d_in");
      EXPECT_CLOSE(harness::vec(d_w), oracle(1), "d_w");
      if (node.use_bias) EXPECT_CLOSE(harness::vec(d_b), oracle(2), "d_b");
      break;
    }
    case Op::avg_pool2d: case Op::zero_padding2d: {
      harness::Buffer d_in = aot(dims_of(0));
      harness::call(table, name(node.op == Op::avg_pool2d ? Kernel::avgpool_bwd : Kernel::zeropad_bwd), {d_out_b.raw_buffer(), d_in.raw_buffer()});
      EXPECT_CLOSE(harness::vec(d_in), oracle(0), "d_in");
      break;
    }
    default: break;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, Adjoints, testing::ValuesIn(cases()), [](const testing::TestParamInfo<Case>& i) {
  std::string s = std::string(i.param.graph.name) + "_" + std::string(i.param.graph.nodes[i.param.node].name.view());
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
});

}  // namespace
