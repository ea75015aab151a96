// Dropout over a flat tensor of samples of S values: value i belongs to sample i / S, at place
// i % S; kept when dropout::hash(seeds(i / S), i % S) clears the rate's threshold.
//   train_fwd: out(i) = keep(i) ? in(i) / (1 - rate) : 0        bwd: d_in(i) = keep(i) ? d_out(i) / (1 - rate) : 0
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

// dropout::mix (dsl/cnngen/layers/dropout.hpp) on uint32 expressions.
Expr mix(Expr h) {
  h = h ^ (h >> 16);
  h = h * Expr(uint32_t(0x7feb352du));
  h = h ^ (h >> 15);
  h = h * Expr(uint32_t(0x846ca68bu));
  return h ^ (h >> 16);
}

}  // namespace

BuiltKernel build_dropout(const KernelSpec& k, const schedules::Machine* scheduled) {
  const int S = k.in.c;
  ImageParam values = flat_param(k.pass == Pass::train_fwd ? "in" : "d_out");
  ImageParam seeds(UInt(32), 1, "seeds");
  Param<float> rate("rate");
  Var i("i");
  Expr sample = i / S, place = cast<uint32_t>(i % S);
  Expr h = mix(seeds(sample) * Expr(uint32_t(0x9e3779b9u)) + mix(place));
  Expr threshold = cast<uint32_t>(rate * 16777216.0f);
  Func out(k.pass == Pass::train_fwd ? "out" : "d_in");
  out(i) = select((h >> 8) >= threshold, values(i) / (1.0f - rate), 0.0f);
  constrain_flat_output(out);
  if (scheduled) schedule_elementwise(out);
  return {Pipeline(out), {values, seeds, rate}};
}

}  // namespace cnngen::codegen
