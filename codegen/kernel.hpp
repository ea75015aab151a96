// Building one kernel: the algorithm of a layer kind (codegen/<kind>.cpp) instantiated for one
// KernelSpec, scheduled by schedules/<kind>.cpp, and returned as a Pipeline with its argument list
// in the order plan.hpp promises.
#pragma once
#include <Halide.h>

#include <string>
#include <vector>

#include <cnngen/plan.hpp>

namespace cnngen::codegen {

struct BuiltKernel {
  Halide::Pipeline pipeline;
  std::vector<Halide::Argument> args;  // inputs in plan.hpp's order; outputs follow implicitly
};

BuiltKernel build_kernel(const KernelSpec& spec, const Halide::Target& target);

// One builder per layer kind (codegen/<kind>.cpp).
BuiltKernel build_zeropad(const KernelSpec& spec);
BuiltKernel build_conv2d(const KernelSpec& spec);
BuiltKernel build_batch_norm(const KernelSpec& spec);
BuiltKernel build_activation(const KernelSpec& spec);
BuiltKernel build_pooling(const KernelSpec& spec);
BuiltKernel build_dense(const KernelSpec& spec);
BuiltKernel build_add(const KernelSpec& spec);

// A dense NHWC tensor parameter, Halide dims (c, x, y, n), with the per-sample extents fixed at
// generation time and the batch extent left to run time. Declaring the fixed extents and strides
// lets the schedules use constant trip counts and addressing.
Halide::ImageParam image_param(const std::string& name, const Shape& s);
// An output constrained the same way.
void constrain_image_output(Halide::Func f, const Shape& s);
// A (k, n) matrix for Dense layers, a fixed k and a run-time n.
Halide::ImageParam matrix_param(const std::string& name, int k);
void constrain_matrix_output(Halide::Func f, int k);
// A parameter with every extent fixed (weights, per-channel vectors).
Halide::ImageParam fixed_param(const std::string& name, const std::vector<int>& extents);
void constrain_fixed_output(Halide::Func f, const std::vector<int>& extents);

}  // namespace cnngen::codegen
