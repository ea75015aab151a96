// Building one kernel: the algorithm of a layer kind (codegen/<kind>.cpp) instantiated for one
// KernelSpec, scheduled by schedules/<kind>.cpp, and returned as a Pipeline with its argument list
// in the order plan.hpp promises.
#pragma once
#include <Halide.h>

#include <optional>
#include <string>
#include <vector>

#include <cnngen/kernel_spec.hpp>

#include "../schedules/tiles.hpp"

namespace cnngen::codegen {

// An input of a kernel: an image or a float scalar, kept as the object itself so that tests can bind
// values to it (JIT) and Halide::propagate_adjoints can differentiate with respect to it.
struct KernelInput {
  std::optional<Halide::ImageParam> image;
  std::optional<Halide::Param<float>> scalar;
  KernelInput(Halide::ImageParam p) : image(p) {}
  KernelInput(Halide::Param<float> p) : scalar(p) {}
  Halide::Argument argument() const { return image ? Halide::Argument(*image) : Halide::Argument(*scalar); }
};

struct BuiltKernel {
  Halide::Pipeline pipeline;
  std::vector<KernelInput> inputs;  // in the order its layer kind's unit documents; outputs follow implicitly

  std::vector<Halide::Argument> arguments() const {
    std::vector<Halide::Argument> a;
    for (const KernelInput& i : inputs) a.push_back(i.argument());
    return a;
  }
};

// The kernel scheduled for one machine (schedules::machine_for of the instruction set it is compiled
// for); null gives the bare algorithm: what Halide::propagate_adjoints differentiates in the tests,
// and what an autoscheduler would schedule.
BuiltKernel build_kernel(const KernelSpec& spec, const schedules::Machine* scheduled);

// A pointwise activation of v (relu, sigmoid, tanh; linear is v): the act_fwd kernels' algorithm,
// and the epilogue of a layer an activation is fused into.
Halide::Expr activate(Act act, Halide::Expr v);

// One builder per layer kind, build_<unit> (codegen/<unit>.cpp), found through kinds.hpp's list.
#define CNNGEN_DECLARE_BUILDER(unit, type) BuiltKernel build_##unit(const KernelSpec& spec, const schedules::Machine* scheduled);
CNNGEN_LAYER_KINDS(CNNGEN_DECLARE_BUILDER)
#undef CNNGEN_DECLARE_BUILDER

// A dense NHWC tensor parameter, Halide dims (c, x, y, n), with the per-sample extents fixed at
// generation time and the batch extent left to run time. Declaring the fixed extents and strides
// lets the schedules use constant trip counts and addressing.
Halide::ImageParam image_param(const std::string& name, const Shape& s);
// An output constrained the same way.
void constrain_image_output(Halide::Func f, const Shape& s);
// A (k, n) matrix for Dense layers, a fixed k and a run-time n.
Halide::ImageParam matrix_param(const std::string& name, int k);
void constrain_matrix_output(Halide::Func f, int k);
// A 1-D tensor of any length from 0 (activations, Add: the same kernel for every shape).
Halide::ImageParam flat_param(const std::string& name);
void constrain_flat_output(Halide::Func f);
// A parameter with every extent fixed (weights, per-channel vectors).
Halide::ImageParam fixed_param(const std::string& name, const std::vector<int>& extents);
void constrain_fixed_output(Halide::Func f, const std::vector<int>& extents);

}  // namespace cnngen::codegen
