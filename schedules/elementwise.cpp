// Elementwise schedules: memory-bound, so all that matters is full vectors and both cores. Flat
// kernels take chunks of 16K elements per task (64 KiB: big enough to amortise a task, small enough
// to split a small batch across cores); the run-time length needs GuardWithIf tails.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

void schedule_elementwise(Func out, int dims, int channels) {
  if (dims == 1) {
    Var i = out.args()[0], io("io"), ii("ii");
    out.split(i, io, ii, 16384, TailStrategy::GuardWithIf).parallel(io).vectorize(ii, 16, TailStrategy::GuardWithIf);
    return;
  }
  Var c = out.args()[0], y = out.args()[2], n = out.args()[3], yn("yn");
  out.vectorize(c, lanes_for(channels)).fuse(y, n, yn).parallel(yn);
}

void schedule(SoftmaxFwd& s, const KernelSpec&) {
  Var m = s.out.args()[1], mo("mo"), mi("mi");
  s.out.split(m, mo, mi, 16, TailStrategy::GuardWithIf).parallel(mo);
  s.mx.compute_at(s.out, mi);
  s.e.compute_at(s.out, mi);
  s.total.compute_at(s.out, mi);
}

void schedule(SoftmaxBwd& s, const KernelSpec&) {
  Var m = s.d_in.args()[1], mo("mo"), mi("mi");
  s.d_in.split(m, mo, mi, 16, TailStrategy::GuardWithIf).parallel(mo);
  s.dot.compute_at(s.d_in, mi);
}

}  // namespace cnngen::codegen
