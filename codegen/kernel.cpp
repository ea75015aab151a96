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

ImageParam flat_param(const std::string& name) {
  ImageParam p(Float(32), 1, name);
  p.dim(0).set_min(0);
  return p;
}

void constrain_flat_output(Func f) { f.output_buffer().dim(0).set_min(0); }

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

BuiltKernel build_kernel(const KernelSpec& spec, const schedules::Machine* scheduled) {
  using Builder = BuiltKernel (*)(const KernelSpec&, const schedules::Machine*);
#define CNNGEN_BUILDER(unit, type) &build_##unit,
  static constexpr Builder builders[] = {CNNGEN_LAYER_KINDS(CNNGEN_BUILDER)};
#undef CNNGEN_BUILDER
  return builders[static_cast<int>(spec.op)](spec, scheduled);
}

}  // namespace cnngen::codegen
