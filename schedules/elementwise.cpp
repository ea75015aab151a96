// Elementwise schedules: memory-bound, so all that matters is full vectors and both cores. Flat
// kernels take chunks of 16K elements per task (64 KiB: big enough to amortise a task, small enough
// to split a small batch across cores), images whole rows adding up to as many; the run-time
// length needs GuardWithIf tails.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

#include <algorithm>

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

namespace {
constexpr int kElementsPerTask = 16384;
}  // namespace

void schedule_elementwise(Func out) {
  Var i = out.args()[0], io("io"), ii("ii");
  out.split(i, io, ii, kElementsPerTask, TailStrategy::GuardWithIf).parallel(io).vectorize(ii, 16, TailStrategy::GuardWithIf);
}

// Rows of an image in tasks of about as many elements as a flat kernel's. One row a task was
// 1-4K elements on ResNet50's stages 2-3, and two threads went slower than one: BatchNorm's
// training forward with its ReLU, 15x15x64 at batch 32, took 209 us on one thread and 216 us on
// two in one-row tasks, 207 and 91 us in rows of 16K elements; 8x8x128: 85 and 122 us -> 81 and
// 51 us; 15x15x256 (4 rows a task) 1155 and 579 -> 1142 and 557 us (JIT, alternating calls).
void schedule_rows(Func out, int width, int channels, const schedules::Machine& m) {
  const int rows = std::max(1, kElementsPerTask / (width * channels));
  if (out.dimensions() == 2) {  // (c, n): a sample is a row
    out.vectorize(out.args()[0], lanes_for(m, channels)).parallel(out.args()[1], rows, TailStrategy::GuardWithIf);
    return;
  }
  Var c = out.args()[0], y = out.args()[2], n = out.args()[3], yn("yn");
  out.vectorize(c, lanes_for(m, channels)).fuse(y, n, yn).parallel(yn, rows, TailStrategy::GuardWithIf);
}

void schedule(SoftmaxFwd& s, const KernelSpec&, const schedules::Machine&) {
  Var m = s.out.args()[1], mo("mo"), mi("mi");
  s.out.split(m, mo, mi, 16, TailStrategy::GuardWithIf).parallel(mo);
  s.mx.compute_at(s.out, mi);
  s.e.compute_at(s.out, mi);
  s.total.compute_at(s.out, mi);
}

void schedule(SoftmaxBwd& s, const KernelSpec&, const schedules::Machine&) {
  Var m = s.d_in.args()[1], mo("mo"), mi("mi");
  s.d_in.split(m, mo, mi, 16, TailStrategy::GuardWithIf).parallel(mo);
  s.dot.compute_at(s.d_in, mi);
}

}  // namespace cnngen::codegen
