// Pooling schedules: elementwise over channels (vectorised), parallel over rows; the window loops are
// small and unrolled by LLVM. The backward's argmax is materialised once rather than recomputed by
// each of the ceil(k/s)^2 input pixels that consult a window.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

void schedule(PoolFwd& s, const KernelSpec& k, const schedules::Machine& m) { schedule_rows(s.out, k.out.w, k.in.c, m); }

void schedule(PoolBwd& s, const KernelSpec& k, const schedules::Machine& m) {
  if (s.argmax.defined()) {
    Var c = s.argmax.args()[0], n = s.argmax.args()[3];
    s.argmax.compute_root().vectorize(c, lanes_for(m, k.in.c)).parallel(n);
  }
  schedule_rows(s.d_in, k.in.w, k.in.c, m);
}

}  // namespace cnngen::codegen
