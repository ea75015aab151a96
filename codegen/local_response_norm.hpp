// LocalResponseNormalization's stages (layers/local_response_norm.hpp has the formulas), defined by
// codegen/local_response_norm.cpp and scheduled by schedules/local_response_norm.cpp.
#pragma once
#include <Halide.h>

#include <cnngen/kernel_spec.hpp>

#include "../schedules/tiles.hpp"

namespace cnngen::codegen {

struct LocalResponseNormFwd {
  Halide::Func scale, out;  // scale: s(c) = bias + alpha * (sum of squares over the window)
};
struct LocalResponseNormBwd {
  Halide::Func scale, t, d_in;  // t(c) = d_out(c) in(c) s(c)^(-beta - 1), zero outside the channels
};

void schedule(LocalResponseNormFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(LocalResponseNormBwd& s, const KernelSpec& k, const schedules::Machine& m);

}  // namespace cnngen::codegen
