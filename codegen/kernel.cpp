#include "kernel.hpp"

#include <stdexcept>

namespace cnngen::codegen {

using namespace Halide;

namespace {

void fix_dims(OutputImageParam p, const std::vector<int>& extents, bool last_is_batch) {
  int stride = 1;
  for (size_t d = 0; d < extents.size(); ++d) {
    p.dim(static_cast<int>(d)).set_stride(stride);
    if (last_is_batch && d + 1 == extents.size()) {
      p.dim(static_cast<int>(d)).set_min(0);
    } else {
      p.dim(static_cast<int>(d)).set_bounds(0, extents[d]);
      stride *= extents[d];
    }
  }
}

}  // namespace

ImageParam image_param(const std::string& name, const Shape& s) {
  ImageParam p(Float(32), 4, name);
  fix_dims(p, {s.c, s.w, s.h, 0}, true);
  return p;
}

void constrain_image_output(Func f, const Shape& s) { fix_dims(f.output_buffer(), {s.c, s.w, s.h, 0}, true); }

ImageParam matrix_param(const std::string& name, int k) {
  ImageParam p(Float(32), 2, name);
  fix_dims(p, {k, 0}, true);
  return p;
}

void constrain_matrix_output(Func f, int k) { fix_dims(f.output_buffer(), {k, 0}, true); }

ImageParam fixed_param(const std::string& name, const std::vector<int>& extents) {
  ImageParam p(Float(32), static_cast<int>(extents.size()), name);
  fix_dims(p, extents, false);
  return p;
}

void constrain_fixed_output(Func f, const std::vector<int>& extents) { fix_dims(f.output_buffer(), extents, false); }

Expr activate(Act act, Expr v) {
  switch (act) {
    case Act::relu: return max(v, 0.0f);
    case Act::sigmoid: return 1.0f / (1.0f + exp(-v));
    case Act::tanh: return tanh(v);
    case Act::linear: return v;
    case Act::softmax: break;
  }
  throw std::logic_error("softmax is not pointwise");
}

BuiltKernel build_kernel(const KernelSpec& spec, bool scheduled) {
  switch (spec.kind) {
    case Kernel::zeropad_fwd: case Kernel::zeropad_bwd: return build_zeropad(spec, scheduled);
    case Kernel::conv_fwd: case Kernel::conv_bwd_data: case Kernel::conv_bwd_weights: case Kernel::conv_bn_infer_fwd:
    case Kernel::conv_block_weights:
      return build_conv2d(spec, scheduled);
    case Kernel::bn_train_fwd: case Kernel::bn_infer_fwd: case Kernel::bn_bwd: return build_batch_norm(spec, scheduled);
    case Kernel::act_fwd: case Kernel::act_bwd: return build_activation(spec, scheduled);
    case Kernel::maxpool_fwd: case Kernel::maxpool_bwd: case Kernel::avgpool_fwd: case Kernel::avgpool_bwd:
      return build_pooling(spec, scheduled);
    case Kernel::dense_fwd: case Kernel::dense_bwd_data: case Kernel::dense_bwd_weights: return build_dense(spec, scheduled);
    case Kernel::add_fwd: return build_add(spec, scheduled);
  }
  throw std::logic_error("unknown kernel kind");
}

}  // namespace cnngen::codegen
