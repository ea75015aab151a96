// LocalResponseNormalization: memory-bound, a few passes over each row. One row of pixels (all its
// channels) a task; backward computes s and t for the row first, since each value's window reads
// 2r + 1 of them.
#include "../codegen/local_response_norm.hpp"

#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

namespace {

// out over (c, x, y, n): rows y of all samples in parallel, channel vectors; returns the row's var.
Var rows_in_parallel(Func out, const KernelSpec& k, const schedules::Machine& m) {
  Var c = out.args()[0], y = out.args()[2], n = out.args()[3], yn("yn");
  out.vectorize(c, lanes_for(m, k.in.c), TailStrategy::GuardWithIf).fuse(y, n, yn).parallel(yn);
  return yn;
}

}  // namespace

void schedule(LocalResponseNormFwd& s, const KernelSpec& k, const schedules::Machine& m) { rows_in_parallel(s.out, k, m); }

void schedule(LocalResponseNormBwd& s, const KernelSpec& k, const schedules::Machine& m) {
  const Var row = rows_in_parallel(s.d_in, k, m);
  const int lanes = lanes_for(m, k.in.c);
  s.scale.compute_at(s.d_in, row).vectorize(s.scale.args()[0], lanes, TailStrategy::GuardWithIf);
  s.t.compute_at(s.d_in, row).vectorize(s.t.args()[0], lanes, TailStrategy::GuardWithIf);
}

}  // namespace cnngen::codegen
