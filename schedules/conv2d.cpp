// Schedules of the three Conv2D passes. Register tile: channel vectors x pixels of accumulators, the
// whole reduction (ky, kx, ci) run over it, so each weight vector loaded is used once per pixel of the
// tile and each input value broadcast once per channel vector.
// Measured (HALIDE14.md, 28x28x192 -> 32 5x5 same, N=32, one core): this forward form reaches
// 113-115 GFLOP/s; the backward forms below are not yet tuned (issue 4 does that, with benchmarks).
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::channel_tile;
using schedules::lanes_for;
using schedules::pixel_tile;

void schedule(Conv2dFwd& s, const KernelSpec& k) {
  const Shape o = k.out();
  const int v = lanes_for(o.c), ct = channel_tile(o.c), xt = pixel_tile(o.w, ct / v);
  Var c = s.out.args()[0], x = s.out.args()[1], y = s.out.args()[2], n = s.out.args()[3];
  Var co("co"), ci("ci"), xo("xo"), xi("xi"), yn("yn");

  // Rows are independent: one parallel task per output row of one image keeps both cores busy at
  // batch 1 as well as batch 32.
  s.out.split(c, co, ci, ct).split(x, xo, xi, xt).reorder(ci, xi, co, xo, y, n).fuse(y, n, yn).parallel(yn);
  s.out.vectorize(ci, v).unroll(xi);

  // The accumulator tile: ct channels x xt pixels, kept in registers across the whole reduction.
  s.conv.compute_at(s.out, co);
  Var cc = s.conv.args()[0], cx = s.conv.args()[1], cco("cco"), cci("cci");
  s.conv.split(cc, cco, cci, v).vectorize(cci).unroll(cco).unroll(cx);
  s.conv.update()
      .split(cc, cco, cci, v)
      .reorder(cci, cco, cx, s.r.x, s.r.y, s.r.z)
      .vectorize(cci)
      .unroll(cco)
      .unroll(cx);

  // A padded border is materialised per task (the kernel's rows of the image) rather than tested at
  // every tap.
  if (k.pad_top || k.pad_bottom || k.pad_left || k.pad_right)
    s.padded.compute_at(s.out, yn).vectorize(s.padded.args()[0], lanes_for(k.in.c));
}

void schedule(Conv2dBwdData& s, const KernelSpec& k) {
  const Shape in = k.in;
  const int v = lanes_for(in.c), ct = channel_tile(in.c), xt = pixel_tile(in.w, ct / v);
  Var c = s.d_in.args()[0], x = s.d_in.args()[1], y = s.d_in.args()[2], n = s.d_in.args()[3];
  Var co("co"), ci("ci"), xo("xo"), xi("xi"), yn("yn");

  s.w_t.compute_root().vectorize(s.w_t.args()[0], v);
  s.d_in.split(c, co, ci, ct).split(x, xo, xi, xt).reorder(ci, xi, co, xo, y, n).fuse(y, n, yn).parallel(yn);
  s.d_in.vectorize(ci, v).unroll(xi);

  // Same register tile as the forward pass, over input channels; the tap predicate depends on
  // (x, kx, ky) only, so it is a scalar test around each vector FMA.
  s.acc.compute_at(s.d_in, co);
  Var ac = s.acc.args()[0], ax = s.acc.args()[1], aco("aco"), aci("aci");
  s.acc.split(ac, aco, aci, v).vectorize(aci).unroll(aco).unroll(ax);
  s.acc.update().split(ac, aco, aci, v).reorder(aci, aco, ax, s.r.x, s.r.y, s.r.z).vectorize(aci).unroll(aco);
}

void schedule(Conv2dBwdWeights& s, const KernelSpec& k) {
  const Shape o = k.out();
  const int v = lanes_for(o.c), ct = channel_tile(o.c);
  const int cit = std::min(k.in.c, 28 / (ct / v));  // input channels per tile: accumulators = cit x ct/v
  Var c = s.d_w.args()[0], ci = s.d_w.args()[1], kx = s.d_w.args()[2], ky = s.d_w.args()[3];
  Var co("co"), cii("cii"), cio("cio"), cin("cin"), t("t");

  // Every (co tile, ci tile, kx, ky) is an independent reduction over the batch: those are the parallel tasks.
  s.d_w.split(c, co, cii, ct).split(ci, cio, cin, cit).reorder(cii, cin, co, cio, kx, ky)
      .fuse(kx, ky, t).fuse(cio, t, t).parallel(t).vectorize(cii, v);
  s.acc.compute_at(s.d_w, co);
  Var ac = s.acc.args()[0], aci = s.acc.args()[1], aco("aco"), acv("acv");
  s.acc.split(ac, aco, acv, v).vectorize(acv).unroll(aco);
  s.acc.update().split(ac, aco, acv, v).reorder(acv, aco, aci, s.r.x, s.r.y, s.r.z).vectorize(acv).unroll(aco).unroll(aci);

  if (k.pad_top || k.pad_bottom || k.pad_left || k.pad_right)
    s.padded.compute_root().vectorize(s.padded.args()[0], lanes_for(k.in.c)).parallel(s.padded.args()[3]);
  if (s.d_b.defined()) {
    s.d_b.compute_root().vectorize(s.d_b.args()[0], v);
    // An output's update cannot round up past its extent: guard the last vector (17 channels, say).
    s.d_b.update().reorder(s.d_b.args()[0], s.r.x, s.r.y, s.r.z).vectorize(s.d_b.args()[0], v, TailStrategy::GuardWithIf);
  }
}

}  // namespace cnngen::codegen
