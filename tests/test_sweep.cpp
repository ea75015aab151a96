// The shape sweep: every layer kind's kernels on shapes no model of the repository has (channel
// counts 1, 3, 10, 17, 33 and 100; images from 1x1 to 20x20, odd and even; strides 1 to 3),
// each compiled with its algorithm and its schedule exactly as the generator builds it, here by
// Halide's JIT for the instruction set the generated kernels run here (the best this CPU has, or
// CNNGEN_MAX_ISA's: the suite runs once per ISA), and checked by its kind's unit test
// (tests/layers/<unit>.cpp: the naive references and finite differences) as the zoo's kernels are.
// A schedule that only fits the models' shapes (a tile wider than an image, a vector wider than
// the channels, a split past an extent) fails here: with the Dense forward's vector tail rounded
// up instead of guarded, four of its six cases fail ("Input buffer w is accessed at 47, which is
// beyond the max (32)"), the error a 10-unit Dense once gave at run time.
#include <Halide.h>
#include <gtest/gtest.h>

#include <kernel.hpp>
#include <map>
#include <memory>

#include <cnngen/dispatch.hpp>
#include <cnngen/dsl.hpp>

#include "layers/dispatch.hpp"

namespace {

using namespace cnngen::layers;
using cnngen::KernelSpec;
using cnngen::Tensor;

// A model of at most a few layers, written at run time with the DSL (its builders are constexpr
// functions, callable at run time too).
using SmallGraph = cnngen::Graph<32>;  // below 16 nodes, GCC 12 warns (wrongly) inside std::sort of the name check

struct Sweep {
  std::string label;
  std::shared_ptr<SmallGraph> graph;
  int node;  // the layer checked
};

// The checked layer is followed by a linear Activation, so that it is never the model's output: an
// output's softmax or sigmoid is the loss's, and runs no kernel.
Sweep finish(std::string label, std::shared_ptr<SmallGraph> g, Tensor checked) {
  g->finish((*g)(Activation{.activation = "linear", .name = "after"}, checked));
  EXPECT_TRUE(g->error.empty()) << label << ": " << g->error.view();
  return {std::move(label), std::move(g), checked.node};
}

// layer on an image input of h x w x c.
template <class Layer>
Sweep on_image(std::string label, int h, int w, int c, Layer layer) {
  auto g = std::make_shared<SmallGraph>();
  const Tensor x = g->input(Input{h, w, c});
  return finish(std::move(label), g, (*g)(layer, x));
}

// layer on a vector of k values (a flattened 1x1xk image).
template <class Layer>
Sweep on_vector(std::string label, int k, Layer layer) {
  auto g = std::make_shared<SmallGraph>();
  const Tensor x = (*g)(Flatten{}, g->input(Input{1, 1, k}));
  return finish(std::move(label), g, (*g)(layer, x));
}

// A two-input layer on h x w x c and a 1x1 convolution of it to c2 channels.
template <class Layer>
Sweep on_two(std::string label, int h, int w, int c, int c2, Layer layer) {
  auto g = std::make_shared<SmallGraph>();
  const Tensor x = g->input(Input{h, w, c});
  const Tensor y = (*g)(Conv2D{.filters = c2, .kernel_size = 1}, x);
  return finish(std::move(label), g, (*g)(layer, x, y));
}

std::vector<Sweep> sweeps() {
  return {
      // Convolutions: kernel sizes 1 to 7, strides 1 to 3, 'valid' and 'same', epilogues, no bias.
      on_image("conv1x1_7x5x3_to17", 7, 5, 3, Conv2D{.filters = 17, .kernel_size = 1}),
      on_image("conv1x1s2_9x9x33_to10", 9, 9, 33, Conv2D{.filters = 10, .kernel_size = 1, .strides = 2}),
      on_image("conv1x1s3_20x20x17_to100", 20, 20, 17, Conv2D{.filters = 100, .kernel_size = 1, .strides = 3}),
      on_image("conv1x1_2x2x100_to100", 2, 2, 100, Conv2D{.filters = 100, .kernel_size = 1}),
      on_image("conv3x3same_20x20x1_to33", 20, 20, 1, Conv2D{.filters = 33, .kernel_size = 3, .padding = same}),
      on_image("conv3x3s2_13x11x10_to17_relu", 13, 11, 10,
               Conv2D{.filters = 17, .kernel_size = 3, .strides = 2, .activation = relu}),
      on_image("conv3x3same_s3_19x17x100_to3", 19, 17, 100,
               Conv2D{.filters = 3, .kernel_size = 3, .strides = 3, .padding = same}),
      on_image("conv3x3same_1x1x17_to33", 1, 1, 17, Conv2D{.filters = 33, .kernel_size = 3, .padding = same}),
      on_image("conv3x3same_s2_4x4x33_to17_nobias", 4, 4, 33,
               Conv2D{.filters = 17, .kernel_size = 3, .strides = 2, .padding = same, .use_bias = false}),
      on_image("conv5x5same_12x12x33_to33_tanh", 12, 12, 33,
               Conv2D{.filters = 33, .kernel_size = 5, .padding = same, .activation = "tanh"}),
      on_image("conv5x5s3_16x16x10_to1", 16, 16, 10, Conv2D{.filters = 1, .kernel_size = 5, .strides = 3}),
      on_image("conv2x3_6x20x3_to10", 6, 20, 3, Conv2D{.filters = 10, .kernel_size = {2, 3}}),
      on_image("conv7x7s2_20x18x3_to100_sigmoid", 20, 18, 3,
               Conv2D{.filters = 100, .kernel_size = 7, .strides = 2, .activation = sigmoid}),
      // An image whose input and d_out outgrow the weight gradient's L2 budget (tiles.hpp's
      // weight_gradient_row_block: blocks of 18 rows, a last block of two).
      on_image("conv3x3same_20x20x176_to176_rowblocked", 20, 20, 176, Conv2D{.filters = 176, .kernel_size = 3, .padding = same}),
      // Pools: windows 1 to 3, strides 1 to 3, 'same' on 1x1.
      on_image("maxpool3s2_20x20x3", 20, 20, 3, MaxPooling2D{.pool_size = 3, .strides = 2}),
      on_image("maxpool2_9x7x17", 9, 7, 17, MaxPooling2D{.pool_size = 2}),
      on_image("maxpool3s1same_5x5x100", 5, 5, 100, MaxPooling2D{.pool_size = 3, .strides = 1, .padding = same}),
      on_image("maxpool3s3_10x10x1", 10, 10, 1, MaxPooling2D{.pool_size = 3}),
      on_image("maxpool3s2same_1x1x10", 1, 1, 10, MaxPooling2D{.pool_size = 3, .strides = 2, .padding = same}),
      on_image("avgpool3s2_20x19x33", 20, 19, 33, AveragePooling2D{.pool_size = 3, .strides = 2}),
      on_image("avgpool2_8x6x10", 8, 6, 10, AveragePooling2D{.pool_size = 2}),
      on_image("avgpool3s1same_7x4x17", 7, 4, 17, AveragePooling2D{.pool_size = 3, .strides = 1, .padding = same}),
      on_image("avgpool1x3s3_3x18x100", 3, 18, 100, AveragePooling2D{.pool_size = {1, 3}}),
      on_image("avgpool3s2same_1x1x3", 1, 1, 3, AveragePooling2D{.pool_size = 3, .strides = 2, .padding = same}),
      on_image("globalavg_7x3x100", 7, 3, 100, GlobalAveragePooling2D{}),
      on_image("globalavg_1x1x33", 1, 1, 33, GlobalAveragePooling2D{}),
      on_image("globalmax_20x20x1", 20, 20, 1, GlobalMaxPooling2D{}),
      on_image("globalmax_5x2x17", 5, 2, 17, GlobalMaxPooling2D{}),
      // BatchNorm on images and vectors.
      on_image("batchnorm_1x1x1", 1, 1, 1, BatchNormalization{}),
      on_image("batchnorm_5x9x17", 5, 9, 17, BatchNormalization{}),
      on_image("batchnorm_20x20x3", 20, 20, 3, BatchNormalization{}),
      on_image("batchnorm_3x3x100", 3, 3, 100, BatchNormalization{}),
      on_vector("batchnorm_vector33", 33, BatchNormalization{}),
      on_vector("batchnorm_vector10", 10, BatchNormalization{}),
      // Activations (flat kernels of any length; softmax over each pixel's channels).
      on_image("relu_5x5x17", 5, 5, 17, Activation{relu}),
      on_image("sigmoid_1x1x1", 1, 1, 1, Activation{sigmoid}),
      on_image("tanh_20x3x33", 20, 3, 33, Activation{"tanh"}),
      on_image("softmax_3x3x10", 3, 3, 10, Activation{softmax}),
      on_vector("softmax_vector100", 100, Activation{softmax}),
      on_vector("softmax_vector1", 1, Activation{softmax}),
      // Dense: inputs 1 to 100, units 1 to 100, with and without bias and activation.
      on_vector("dense_1_to_1", 1, Dense{.units = 1}),
      on_vector("dense_3_to_10_relu", 3, Dense{.units = 10, .activation = relu}),
      on_vector("dense_17_to_33_nobias", 17, Dense{.units = 33, .use_bias = false}),
      on_vector("dense_100_to_17", 100, Dense{.units = 17}),
      on_vector("dense_33_to_100_sigmoid", 33, Dense{.units = 100, .activation = sigmoid}),
      on_vector("dense_10_to_3", 10, Dense{.units = 3}),
      // Padding, Dropout, Add, Concatenate, LocalResponseNormalization.
      on_image("zeropad_1x1x1_asym", 1, 1, 1, ZeroPadding2D{{1, 2}, {0, 3}}),
      on_image("zeropad_20x20x33", 20, 20, 33, ZeroPadding2D{3}),
      on_image("zeropad_7x4x100", 7, 4, 100, ZeroPadding2D{{2, 1}}),
      on_image("dropout_5x5x3", 5, 5, 3, Dropout{.rate = 0.3f}),
      on_vector("dropout_vector17", 17, Dropout{.rate = 0.5f}),
      on_two("add_7x5x10", 7, 5, 10, 10, Add{}),
      on_two("add_1x1x100", 1, 1, 100, 100, Add{}),
      on_two("concatenate_5x5x3_17", 5, 5, 3, 17, Concatenate{}),
      on_two("concatenate_1x1x33_1", 1, 1, 33, 1, Concatenate{}),
      on_two("concatenate_12x9x10_100", 12, 9, 10, 100, Concatenate{}),
      on_image("lrn_r2_5x5x1", 5, 5, 1, LocalResponseNormalization{.depth_radius = 2, .bias = 1, .alpha = 0.5f, .beta = 0.75f}),
      on_image("lrn_r5_3x7x33", 3, 7, 33, LocalResponseNormalization{.depth_radius = 5, .bias = 2, .alpha = 0.1f, .beta = 0.5f}),
      on_image("lrn_r2_20x20x17", 20, 20, 17, LocalResponseNormalization{.depth_radius = 2, .bias = 2, .alpha = 0.2f, .beta = 0.75f}),
      on_image("lrn_r3_1x1x100", 1, 1, 100, LocalResponseNormalization{.depth_radius = 3, .bias = 1, .alpha = 0.05f, .beta = 1}),
  };
}

// A pointwise convolution's forward takes its images as (channels, pixels) matrices, which the
// generated library's table gives it (kernel_table.hpp's with_flat_images): the same views here.
struct FlatView {
  halide_buffer_t buffer;
  halide_dimension_t dims[2];
  explicit FlatView(const halide_buffer_t& b) : buffer(b) {
    int points = 1;
    for (int d = 1; d < b.dimensions; ++d) points *= b.dim[d].extent;
    dims[0] = b.dim[0];
    dims[1] = halide_dimension_t(0, points, b.dim[1].stride);
    buffer.dimensions = 2, buffer.dim = dims;
  }
};

// The instruction set the generated kernels would run here (runtime/cnngen/dispatch.hpp).
cnngen::Isa sweep_isa() { return cnngen::select_isa(cnngen::kAllIsas, "test_sweep"); }

// The node's kernels, built as the generator builds them for the ISA and JIT-compiled for its target.
class JitKernels {
 public:
  JitKernels(cnngen::GraphView g, int node)
      : target_(std::string(cnngen::isa_info(sweep_isa()).halide_target)), machine_(cnngen::schedules::machine_for(sweep_isa())) {
    for (const KernelSpec& s : cnngen::kernels_of(g, node).list)
      kernels_.emplace(s.name(), Kernel{s, cnngen::codegen::build_kernel(s, &machine_)});
  }

  void run(const std::string& name, std::vector<void*> args) {
    auto it = kernels_.find(name);
    ASSERT_NE(it, kernels_.end()) << "no kernel " << name;
    Kernel& k = it->second;
    std::vector<FlatView> views;
    views.reserve(3);
    if (cnngen::conv2d::flattens_pixels(k.spec)) {
      const cnngen::conv2d::FlatImageArguments flat = cnngen::conv2d::flat_image_arguments(k.spec);
      for (int i : {flat.in, flat.residual, flat.out})
        if (i >= 0) args[i] = &views.emplace_back(*static_cast<halide_buffer_t*>(args[i])).buffer;
    }
    size_t a = 0;
    for (cnngen::codegen::KernelInput& in : k.built.inputs) {
      if (in.image) in.image->set(Halide::Buffer<>(*static_cast<halide_buffer_t*>(args[a++])));
      else in.scalar->set(*static_cast<float*>(args[a++]));
    }
    std::vector<Halide::Buffer<>> outputs;
    for (; a < args.size(); ++a) outputs.emplace_back(*static_cast<halide_buffer_t*>(args[a]));
    Halide::Realization r(outputs);
    k.built.pipeline.realize(r, target_);
  }

 private:
  struct Kernel {
    KernelSpec spec;
    cnngen::codegen::BuiltKernel built;
  };
  Halide::Target target_;
  cnngen::schedules::Machine machine_;
  std::map<std::string, Kernel> kernels_;
};

// The three places an instruction set is described agree: its Halide target (isa.hpp), the
// features the run time asks the CPU for (dispatch.cpp) and the registers its schedules are
// written for (tiles.hpp's machine_for).
TEST(Isas, TargetsFeaturesAndMachinesAgree) {
  using Halide::Target;
  for (const cnngen::IsaInfo& i : cnngen::kIsas) {
    const Target t{std::string(i.halide_target)};
    Target from_features(Target::Linux, Target::X86, 64);
    for (const halide_target_feature_t f : cnngen::isa_features(i.isa)) from_features.set_feature(static_cast<Target::Feature>(f));
    EXPECT_EQ(t, from_features) << i.name;
    const cnngen::schedules::Machine m = cnngen::schedules::machine_for(i.isa);
    EXPECT_EQ(m.lanes, t.natural_vector_size<float>()) << i.name;
    EXPECT_EQ(m.fma, t.has_feature(Target::FMA)) << i.name;
    EXPECT_EQ(m.registers == 32, t.has_feature(Target::AVX512)) << i.name;
    EXPECT_EQ(m.broadcast_operand, t.has_feature(Target::AVX512)) << i.name;
  }
}

void PrintTo(const Sweep& s, std::ostream* os) { *os << s.label; }

class ShapeSweep : public testing::TestWithParam<Sweep> {};

TEST_P(ShapeSweep, KernelsMatchReferencesAndDifferences) {
  const Sweep& s = GetParam();
  const cnngen::GraphView g(*s.graph);
  JitKernels jit(g, s.node);
  for (int n : {1, 3}) {
    unit_tests::KernelCheck check(g, s.node, n, [&](const std::string& name, std::vector<void*> args) { jit.run(name, std::move(args)); });
    unit_tests::check(check);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ShapeSweep, testing::ValuesIn(sweeps()),
                         [](const testing::TestParamInfo<Sweep>& i) { return i.param.label; });

}  // namespace
