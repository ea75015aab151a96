// BatchNorm schedules. The per-channel reductions run with channels innermost (NHWC makes each pixel
// a contiguous channel vector), so a reduction is one pass of vector adds over the tensor; the
// normalisation is elementwise, vectorised over channels and parallel over rows.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

namespace {

// d_beta and d_gamma are outputs, whose update steps cannot round up past the channel count.
// The sum over the batch is split into chunks of 8 images reduced in parallel (Halide's rfactor),
// then the chunks' partial sums added: a reduction over the whole batch ran on one thread, and was
// the one part of a training step that did not get faster on two (58 -> 54 ms a step). The chunks
// are the outermost loop, one parallel loop per reduction: with the images of a chunk outside it
// (as the reorder left them before), each reduction launched a parallel loop per image and the
// tail, 8-9 launches of a few microseconds' work each.
void channel_reduction(Func f, const RDom& r, int channels, const schedules::Machine& m) {
  Var c = f.args()[0], chunk("chunk");
  RVar images("images"), image("image");
  f.compute_root().vectorize(c, lanes_for(m, channels));
  Func partial = f.update().split(r.z, images, image, 8, TailStrategy::GuardWithIf).rfactor(images, chunk);
  f.update().vectorize(c, lanes_for(m, channels), TailStrategy::GuardWithIf);
  partial.compute_root().vectorize(partial.args()[0], lanes_for(m, channels));
  partial.update().reorder(partial.args()[0], r.x, r.y, image, chunk)
      .vectorize(partial.args()[0], lanes_for(m, channels), TailStrategy::GuardWithIf).parallel(chunk);
}

}  // namespace

void schedule(BatchNormTrainFwd& s, const KernelSpec& k, const schedules::Machine& m) {
  channel_reduction(s.sum, s.r, k.in.c, m);
  channel_reduction(s.sq, s.r, k.in.c, m);
  s.mean.compute_root();
  s.var.compute_root();
  s.scale.compute_root();
  schedule_rows(s.out, k.in.w, k.in.c, m);
}

void schedule(BatchNormInferFwd& s, const KernelSpec& k, const schedules::Machine& m) {
  s.scale.compute_root();
  s.shift.compute_root();
  schedule_rows(s.out, k.in.w, k.in.c, m);
}

void schedule(BatchNormBwd& s, const KernelSpec& k, const schedules::Machine& m) {
  s.inv_std.compute_root();
  channel_reduction(s.d_beta, s.r, k.in.c, m);
  channel_reduction(s.d_gamma, s.r, k.in.c, m);
  schedule_rows(s.d_in, k.in.w, k.in.c, m);
}

}  // namespace cnngen::codegen
