// The planner's contract: kernel names are built from every field of a kernel's spec, so two
// kernels share a name only when they are the same kernel, across every model in the repository.
#include <gtest/gtest.h>

#include <cnngen/plan.hpp>
#include <map>

#include "../benchmarks/course_layers.hpp"
#include "../examples/resnet50/model.hpp"
#include "zoo.hpp"

namespace {

using cnngen::KernelSpec;

std::vector<cnngen::GraphView> every_model() {
  std::vector<cnngen::GraphView> models(std::begin(zoo::all), std::end(zoo::all));
  models.insert(models.end(), {resnet50::model, course_layers::conv5x5, course_layers::bottleneck});
  return models;
}

TEST(KernelNames, AreUniqueAcrossEveryModel) {
  std::map<std::string, KernelSpec> by_name;
  int kernels = 0;
  for (const cnngen::GraphView& g : every_model())
    for (const KernelSpec& k : cnngen::kernels_of(g)) {
      ++kernels;
      const auto [it, added] = by_name.emplace(k.name(), k);
      EXPECT_TRUE(added || it->second == k) << "two different kernels are named " << k.name() << " (model " << g.name << ")";
    }
  EXPECT_GT(kernels, 200);
}

// Each field of the spec shows in the name: changing any one of them changes it.
TEST(KernelNames, ChangeWithEveryField) {
  KernelSpec base;
  base.op = cnngen::Op::conv2d, base.pass = cnngen::Pass::fwd;
  base.in = cnngen::Shape::image(15, 15, 64), base.out = cnngen::Shape::image(15, 15, 64);
  base.units = 64, base.kernel = 3, base.strides = 1;
  base.pad_top = base.pad_bottom = base.pad_left = base.pad_right = 1;
  const std::vector<void (*)(KernelSpec&)> changes = {
      [](KernelSpec& k) { k.op = cnngen::Op::dense; },        [](KernelSpec& k) { k.pass = cnngen::Pass::bwd_data; },
      [](KernelSpec& k) { k.in.h = 16; },                     [](KernelSpec& k) { k.in.w = 16; },
      [](KernelSpec& k) { k.in.c = 65; },                     [](KernelSpec& k) { k.out.h = 8; },
      [](KernelSpec& k) { k.out.w = 8; },                     [](KernelSpec& k) { k.out.c = 63; },
      [](KernelSpec& k) { k.units = 63; },                    [](KernelSpec& k) { k.kernel.h = 1; },
      [](KernelSpec& k) { k.kernel.w = 1; },                  [](KernelSpec& k) { k.strides.h = 2; },
      [](KernelSpec& k) { k.strides.w = 2; },                 [](KernelSpec& k) { k.pad_top = 0; },
      [](KernelSpec& k) { k.pad_bottom = 0; },                [](KernelSpec& k) { k.pad_left = 0; },
      [](KernelSpec& k) { k.pad_right = 0; },                 [](KernelSpec& k) { k.use_bias = true; },
      [](KernelSpec& k) { k.act = cnngen::Act::relu; },       [](KernelSpec& k) { k.residual = true; },
  };
  std::map<std::string, int> seen{{base.name(), -1}};
  for (size_t i = 0; i < changes.size(); ++i) {
    KernelSpec k = base;
    changes[i](k);
    ASSERT_FALSE(k == base) << "change " << i;
    EXPECT_TRUE(seen.emplace(k.name(), int(i)).second) << "change " << i << " gives a name already seen: " << k.name();
  }
}

// Keras counts only the model's own layers: a branch the output never reads (ZooBranches' "unread")
// has no parameters in the totals and no kernels; the network still builds around it.
TEST(Graph, ALayerTheOutputDoesNotReadCountsNothing) {
  const cnngen::GraphView g(zoo::branches);
  int unread = -1;
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i)
    if (g.nodes[i].name.view() == "unread") unread = i;
  ASSERT_GE(unread, 0);
  EXPECT_FALSE(g.nodes[unread].reaches_output);
  EXPECT_EQ(cnngen::params(g.nodes[unread]), 0);
  long long total = 0;
  for (const cnngen::Node& n : g.nodes) total += n.reaches_output ? cnngen::kind_of(n.op).params(n) : 0;
  EXPECT_EQ(zoo::branches.total_params(), total);
  for (const KernelSpec& k : cnngen::kernels_of(g)) EXPECT_FALSE(k.op == cnngen::Op::dense && k.units == 5) << k.name();
}

// The planner's line format reads back every field.
TEST(KernelSpecs, SurviveTheirLineFormat) {
  for (const cnngen::GraphView& g : every_model())
    for (const KernelSpec& k : cnngen::kernels_of(g)) EXPECT_TRUE(KernelSpec::parse(k.serialize()) == k) << k.name();
}

}  // namespace
