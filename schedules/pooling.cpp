// Pooling schedules: elementwise over channels (vectorised), parallel over rows; the window loops are
// small and unrolled by LLVM. The backward's argmax is materialised once rather than recomputed by
// each of the ceil(k/s)^2 input pixels that consult a window.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

namespace {

void rows_parallel(Func f, int channels) {
  Var c = f.args()[0], y = f.args()[2], n = f.args()[3], yn("yn");
  f.vectorize(c, lanes_for(channels)).fuse(y, n, yn).parallel(yn);
}

}  // namespace

void schedule(PoolFwd& s, const KernelSpec& k) { rows_parallel(s.out, k.in.c); }

void schedule(PoolBwd& s, const KernelSpec& k) {
  if (s.argmax.defined()) {
    Var c = s.argmax.args()[0], n = s.argmax.args()[3];
    s.argmax.compute_root().vectorize(c, lanes_for(k.in.c)).parallel(n);
  }
  rows_parallel(s.d_in, k.in.c);
}

}  // namespace cnngen::codegen
