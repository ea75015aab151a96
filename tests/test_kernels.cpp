// Every generated kernel of every node of the zoo models (tests/zoo.hpp, plus HappyModel) against the
// naive reference (tests/reference.cpp), at batch 1 and 3 (and 16 where a convolution tiles across
// the batch or a BatchNorm splits it), to a relative error of 1e-4; and each backward kernel
// against central finite differences of its own forward kernel: each kind's unit test
// (tests/layers/<unit>.cpp) says how.
#include <gtest/gtest.h>

#include <functional>
#include <zoo.hpp>

#include "../schedules/tiles.hpp"
#include "harness.hpp"
#include "layers/dispatch.hpp"
#include "zoo.hpp"

namespace {

using namespace harness;
using cnngen::KernelSpec;
using cnngen::Node;
using cnngen::Op;
using cnngen::Pass;
using cnngen::Shape;

struct Case {
  cnngen::GraphView graph;
  int node;
  int n;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (cnngen::GraphView g : zoo::all)
    for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i) {
      const Node& node = g.nodes[i];
      if (node.op == Op::flatten || !node.reaches_output) continue;  // no kernels
      for (int n : {1, 3}) cases.push_back({g, i, n});
      // Small images tile across up to 14 images (schedules/tiles.hpp), BatchNorm reduces chunks of
      // 8 images in parallel (schedules/batch_norm.cpp): 16 has a partial last tile, and two chunks.
      const bool small_input = node.in.rank == 3 && cnngen::schedules::batch_tiled(node.in.w, node.in.h);
      if ((node.op == Op::conv2d && (small_input || cnngen::schedules::batch_tiled(node.out.w, node.out.h))) ||
          node.op == Op::batch_norm)
        cases.push_back({g, i, 16});
    }
  return cases;
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.graph.name << " layer " << c.graph.nodes[c.node].name.view() << " batch " << c.n;
}

class NodeKernels : public testing::TestWithParam<Case> {};

// The node's kind's test unit (tests/layers/<unit>.cpp) checks its kernels.
TEST_P(NodeKernels, MatchReferenceAndFiniteDifferences) {
  unit_tests::KernelCheck check(GetParam().graph, GetParam().node, GetParam().n);
  unit_tests::check(check);
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string s = std::string(info.param.graph.name) + "_" + std::string(info.param.graph.nodes[info.param.node].name.view()) +
                  "_n" + std::to_string(info.param.n);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Zoo, NodeKernels, testing::ValuesIn(all_cases()), case_name);

}  // namespace

// The zoo covers both ways a padded forward on row-tiled images treats its border, on every
// instruction set: leaving out the taps in the padding (a tile of one row) and multiplying a
// materialised zero border (a tile of several rows). ZooPadded's comments say which of its layers
// takes which on AVX-512; AVX2's and SSE4.1's smaller tiles move the line.
TEST(ZooCoverage, PaddedForwardsTakeBothBorderPaths) {
  for (const cnngen::IsaInfo& isa : cnngen::kIsas) {
    const cnngen::schedules::Machine m = cnngen::schedules::machine_for(isa.isa);
    int skipped = 0, materialised = 0;
    for (cnngen::GraphView g : zoo::all)
      for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i) {
        if (g.nodes[i].op != Op::conv2d || !g.nodes[i].reaches_output) continue;
        const cnngen::KernelSpec k = *cnngen::kernels_of(g, i).find(Op::conv2d, cnngen::Pass::fwd);
        if (!k.padded() || cnngen::schedules::batch_tiled(k.out.w, k.out.h) || cnngen::conv2d::flattens_pixels(k)) continue;
        (cnngen::schedules::forward_skips_padding(m, k.out.w, k.out.h, k.out.c, true) ? skipped : materialised)++;
      }
    EXPECT_GT(skipped, 0) << isa.name;
    EXPECT_GT(materialised, 0) << isa.name;
  }
  const cnngen::GraphView g(zoo::padded);
  const cnngen::schedules::Machine avx512 = cnngen::schedules::machine_for(cnngen::Isa::avx512);
  EXPECT_TRUE(cnngen::schedules::forward_skips_padding(avx512, g.nodes[1].out.w, g.nodes[1].out.h, g.nodes[1].out.c, true));
  EXPECT_FALSE(cnngen::schedules::forward_skips_padding(avx512, g.nodes[4].out.w, g.nodes[4].out.h, g.nodes[4].out.c, true));
}

// A pointwise forward runs on 2-D views of its images (kernel_table.hpp's with_flat_images), which
// only a dense tensor has: a crop of a wider one is refused with a message, not read as garbage.
TEST(PointwiseForward, RefusesAnImageThatIsNotDense) {
  const cnngen::GraphView g(zoo::stage2);
  int pointwise = 0;  // the first 1x1 convolution: 64 -> 256 on 15x15
  while (!(g.nodes[pointwise].op == Op::conv2d && g.nodes[pointwise].kernel.h == 1)) ++pointwise;
  const KernelSpec k = *cnngen::kernels_of(g, pointwise).find(Op::conv2d, Pass::fwd);
  ASSERT_TRUE(cnngen::conv2d::flattens_pixels(k));
  const Shape o = k.out;
  Buffer wide(k.in.c, k.in.w + 1, k.in.h, 1), w(o.c, k.in.c, 1, 1), b(o.c), out(image_dims(o, 1));
  wide.fill(1.0f), w.fill(1.0f), b.fill(0.0f);
  Buffer in = wide.cropped(1, 0, k.in.w);  // rows a pixel longer than the image's
  halide_set_error_handler(keep_halide_error);
  std::vector<void*> args{in.raw_buffer(), w.raw_buffer(), b.raw_buffer(), out.raw_buffer()};
  EXPECT_NE(cnngen::generated::zoo().find(k.name())(args.data()), 0);
  EXPECT_NE(last_halide_error().find("not a dense tensor"), std::string::npos) << last_halide_error();
}
