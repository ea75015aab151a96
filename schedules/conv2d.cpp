// Schedules of the three Conv2D passes. Register tile: channel vectors x pixels (or images) of
// accumulators, the whole reduction (ky, kx, ci) run over it, so each weight vector loaded is used
// once per pixel of the tile and each input value broadcast once per channel vector. The weights
// come blocked by the tile's channels (codegen/conv2d.cpp's w_blocked and w_t), so that the
// reduction reads them contiguously: in Keras's layout each input-channel step was a row of Cout
// floats away, fresh cache lines every step (blocking measured: 3x3 on 2x2x512 forward 108 -> 201
// GFLOP/s, backward data 70-121 -> 174; 1x1 15x15x256 -> 64 forward 0.73 -> 0.94x oneDNN).
// Every figure: one core of this machine, batch 32; benchmarks/RESULTS.md has the whole table.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

namespace {

// The shared structure of the forward and backward-data passes: `out` (c, x, y, n) is produced in
// register tiles of `acc`, whose update runs the whole reduction (three RVars) over the tile.
// Images of more than 16 pixels: tiles of channel vectors x pixels of one image (conv_tile); tasks
// are rows of tiles of one image, enough for two cores at batch 32 and still some at batch 1; the
// weights of all channel tiles are read once per row, and an image's rows are many.
// With `unrolled_columns` (a reduction restricted to the taps that land: a forward that leaves out
// the padding's taps, a backward-data pass), the x tiles and the kernel columns are unrolled: every
// pixel and tap of an unrolled FMA is then a constant, and the tap predicate folds to keeping or
// dropping it.
Var image_tiled(Func out, Func acc, const RDom& r, const schedules::ConvTile& t, bool unrolled_columns = false) {
  Var c = out.args()[0], x = out.args()[1], y = out.args()[2], n = out.args()[3];
  Var co("co"), ci("ci"), xo("xo"), xi("xi"), yo("yo"), yi("yi"), yn("yn");
  out.split(c, co, ci, t.channels()).split(x, xo, xi, t.cols).split(y, yo, yi, t.rows)
      .reorder(ci, xi, yi, co, xo, yo, n).fuse(yo, n, yn).parallel(yn)
      .vectorize(ci, t.lanes).unroll(xi).unroll(yi);
  if (unrolled_columns) out.unroll(xo);
  acc.compute_at(out, co);
  Var ac = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2], aco("aco"), aci("aci");
  acc.split(ac, aco, aci, t.lanes).vectorize(aci).unroll(aco).unroll(ax).unroll(ay);
  acc.update().split(ac, aco, aci, t.lanes).reorder(aci, aco, ax, ay, r.x, r.y, r.z)
      .vectorize(aci).unroll(aco).unroll(ax).unroll(ay);
  if (unrolled_columns) acc.update().unroll(r.y);
  return yn;
}

// Images of at most 16 pixels (4x4 and 2x2, stages 4 and 5), whose rows are too short for that tile:
//  - batch-tiled (batch >= bt.images): channel vectors x images at one pixel, the algorithm's tap
//    predicate leaving out the taps that fall in the padding (Halide trims the kx and ky loops to
//    the pixel's valid taps, so the tile's inner loop is a plain product over channels).
//  - otherwise (batch 1, say) the in-image tile: channel vectors x the image's pixels.
// Either way tasks are channel tiles with the batch inside, so a tile's weights stay in L2 across
// the batch: image-major, a 2x2x512 3x3 layer streamed its 9.4 MB of weights once per image (a byte
// per multiply-add, 23 GFLOP/s). Tiling within each image only (up to 16 accumulators, padding taps
// computed) measured 38-63 GFLOP/s on the 3x3 layers; batch-tiled 142-157 before the weights were
// blocked, 201 after (see batch_tile for the tile).
// `batch` is the pipeline's batch extent (`out` may be an intermediate, as the strided grid is).
// Returns the task loop (a tile of channels), the same in both schedules.
Var small_image_tiled(Func out, Func acc, const RDom& r, const Expr& batch, const schedules::BatchTile& bt,
                      const schedules::ConvTile& t) {
  Var c = out.args()[0], x = out.args()[1], y = out.args()[2], n = out.args()[3];
  Var co("co"), cv("cv"), xo("xo"), xi("xi"), yo("yo"), yi("yi"), no("no"), ni("ni");
  // The specialisation copies the schedule so far: it is taken before the default is written.
  out.specialize(batch >= bt.images)
      .split(c, co, cv, bt.channels()).split(x, xo, xi, 1).split(y, yo, yi, 1).split(n, no, ni, bt.images)
      .reorder(cv, ni, xi, yi, xo, yo, no, co).parallel(co).vectorize(cv, bt.lanes).unroll(ni);
  out.split(c, co, cv, t.channels()).split(x, xo, xi, t.cols).split(y, yo, yi, t.rows).split(n, no, ni, 1)
      .reorder(cv, xi, yi, ni, xo, yo, no, co).parallel(co).vectorize(cv, t.lanes).unroll(xi).unroll(yi);
  acc.compute_at(out, xo);  // both schedules name the loop that runs over tiles xo
  Var ac = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2], an = acc.args()[3], aco("aco"), aci("aci");
  acc.split(ac, aco, aci, t.lanes).vectorize(aci).unroll(aco).unroll(an).unroll(ax).unroll(ay);
  acc.update().split(ac, aco, aci, t.lanes).reorder(aci, aco, an, ax, ay, r.x, r.y, r.z)
      .vectorize(aci).unroll(aco).unroll(an).unroll(ax).unroll(ay);
  return co;
}

// A pointwise forward over (channels, points) matrices (conv2d.hpp's flattens_pixels): tiles of
// channel vectors x consecutive points (schedules/tiles.hpp's point_tile), so that neither an
// image's rows (15 pixels: 4 x 5 tiles, 20 accumulators) nor the batch (32 images in tiles of 7:
// 9% recomputed) cut the tile. Tasks are a tile of channels over a chunk of 64 tiles (384 points):
// the task blocks its weights and reads them for every tile of the chunk from L1 and L2. Fewer
// points than a tile (a 2x2 image at batch 1) take one point a tile. A fused epilogue is applied
// to each register tile as it is stored (24 accumulators leave the registers it needs).
// Paired with oneDNN (5 repetitions, one thread), against the image and batch tiles: 4x4x256 ->
// 1024 0.85x -> 0.90x and fused 0.86-0.87x -> 0.94-0.99x, 15x15x256 -> 64 0.89x -> 0.95x, 4x4x1024
// -> 256 0.89x -> 0.92x, 2x2x2048 -> 512 0.84x -> 0.89x; every other pointwise forward 0.94-1.03x.
void schedule_pointwise(Conv2dFwd& s, const KernelSpec& k, const schedules::Machine& m) {
  const schedules::PointTile t = schedules::point_tile(m, k.out.c);
  Var c = s.out.args()[0], p = s.out.args()[1];
  Var co("co"), cv("cv"), po("po"), pi("pi"), chunk("chunk"), task("task");
  const Expr points = s.out.output_buffer().dim(1).extent();
  // The specialisation copies the schedule so far: it is taken before the default is written.
  s.out.specialize(points >= t.points)
      .split(c, co, cv, t.channels()).split(p, po, pi, t.points).split(po, chunk, po, 64, TailStrategy::GuardWithIf)
      .reorder(cv, pi, po, co, chunk).fuse(co, chunk, task).parallel(task).vectorize(cv, t.lanes).unroll(pi);
  s.out.split(c, co, cv, t.channels()).split(p, po, pi, 1).split(po, chunk, po, 64, TailStrategy::GuardWithIf)
      .reorder(cv, pi, po, co, chunk).fuse(co, chunk, task).parallel(task).vectorize(cv, t.lanes);
  s.conv.compute_at(s.out, po);  // both schedules name the loop over tiles po
  Var ac = s.conv.args()[0], ap = s.conv.args()[1], aco("aco"), aci("aci");
  s.conv.split(ac, aco, aci, t.lanes).vectorize(aci).unroll(aco).unroll(ap);
  s.conv.update().split(ac, aco, aci, t.lanes).reorder(aci, aco, ap, s.r.x, s.r.y, s.r.z)
      .vectorize(aci).unroll(aco).unroll(ap);
  if (s.w_blocked.defined())  // (cv, ci, kx, ky, cb): the task's block of channels
    s.w_blocked.compute_at(s.out, task).vectorize(s.w_blocked.args()[0], lanes_for(m, k.out.c));
  // A strided layer's input grid, copied as a matrix first (1 MB on ResNet50's 8x8x512 -> 4x4,
  // 3% of the pass): read in place at every second pixel it measured 0.71x oneDNN on 8x8x512 ->
  // 1024, against 0.88-0.89x batch-tiled and 0.98x copied. Strided layers with more output pixels
  // keep the image tile (15x15x256 -> 8x8: 1.15-1.24x so, 1.02-1.13x copied).
  if (s.padded.defined()) {
    Var gc = s.padded.args()[0], gp = s.padded.args()[1], gpo("gpo"), gpi("gpi");
    s.padded.compute_root().vectorize(gc, lanes_for(m, k.in.c)).split(gp, gpo, gpi, 64, TailStrategy::GuardWithIf).parallel(gpo);
  }
}

}  // namespace

// Forward: tiles of output channels x pixels (schedules/tiles.hpp's conv_tile). Large images get
// 2 vectors x 12-14 pixels (the HALIDE14.md schedule: 113-115 GFLOP/s on the course's 5x5 layer on
// the Zen 4 it measured); 4x4 and 2x2 images are tiled across the batch; pointwise layers over
// the batch's pixels as one dimension.
void schedule(Conv2dFwd& s, const KernelSpec& k, const schedules::Machine& m) {
  const Shape o = k.out;
  if (s.out.dimensions() == 2) {
    schedule_pointwise(s, k, m);
    return;
  }
  if (schedules::batch_tiled(o.w, o.h)) {
    // The padding is not materialised: the algorithm reads the unpadded input where taps land.
    const schedules::BatchTile bt = schedules::batch_tile(m, o.c);
    const Expr batch = s.out.output_buffer().dim(3).extent();
    if (!s.raw.defined()) {
      const Var task = small_image_tiled(s.out, s.conv, s.r, batch, bt, schedules::conv_tile(m, o.c, o.w, o.h));
      // The tasks are tiles of output channels: each blocks its own slice of the weights (64
      // channels, 64 KB-1.2 MB) and then reads it back from L2; blocked at the root, the whole
      // layer (0.5-9.4 MB) went out to L3 and each task read its slice back from there. Three
      // alternating runs of the ten small-image forwards (one thread; a binary each way):
      // geometric mean 174-182 GFLOP/s against 140-169; in the first pair 2x2x512 -> 2048
      // 147 -> 162, 2x2x2048 -> 512 143 -> 160.
      if (s.w_blocked.defined())  // (cv, ci, kx, ky, cb)
        s.w_blocked.compute_at(s.out, task).vectorize(s.w_blocked.args()[0], lanes_for(m, o.c));
      return;
    }
    // A fused inference epilogue (BatchNorm, residual, ReLU) runs over the task's stored tiles, not
    // on each register tile as it leaves the registers: on the 3x3 4x4x256 layer, whose 4 x 7 tile
    // needs 33 vector registers (one spill in conv2d_fwd), LLVM allocated the epilogue's variant with
    // ~24 register moves per step and ran at 100-153 GFLOP/s against conv2d_fwd's 217-244. Stored
    // first, the loop is conv2d_fwd's, and the epilogue reads 64 channels x 16 pixels x the batch
    // from L2: in one interleaved run the 3x3 layer measured 163 GFLOP/s against conv2d_fwd's 176,
    // the other small-image forwards 0.84-1.07x their conv2d_fwd.
    small_image_tiled(s.raw, s.conv, s.r, batch, bt, schedules::conv_tile(m, o.c, o.w, o.h));
    Var c = s.out.args()[0], x = s.out.args()[1], y = s.out.args()[2], n = s.out.args()[3], co("co"), cv("cv");
    s.out.split(c, co, cv, bt.channels()).reorder(cv, x, y, n, co).parallel(co).vectorize(cv, bt.lanes);
    s.raw.compute_at(s.out, co);
    return;
  }
  // A padded layer whose tile is one row leaves out the taps that land in the padding: its x tiles
  // and kernel columns unrolled, each FMA's tap is known to land or not, and the ky loop is trimmed
  // to the rows inside the image. oneDNN skips those taps; multiplying a zero border instead did
  // 19% more FMAs on 8x8 images (9% on 15x15). Paired with oneDNN (5 repetitions, one thread):
  // 3x3 8x8x128 0.80-0.83x -> 0.99x, 15x15x64 0.89x -> 1.02x, their fused inference forwards
  // 0.81-0.86x -> 1.01x and 0.98x, the course's 5x5 layer 0.95x -> 1.08x.
  const bool skips_padding = schedules::forward_skips_padding(m, o.w, o.h, o.c, k.padded());
  const Var task = image_tiled(s.out, s.conv, s.r, schedules::conv_tile(m, o.c, o.w, o.h), skips_padding);
  // Tasks are rows of an image, each needing every channel's weights: blocked once, at the root.
  if (s.w_blocked.defined())
    s.w_blocked.compute_root().vectorize(s.w_blocked.args()[0], lanes_for(m, o.c)).parallel(s.w_blocked.args()[4]);
  // Otherwise a padded border is materialised per task (the kernel's rows of one image) rather than
  // tested at every tap.
  if (!skips_padding && k.padded())
    s.padded.compute_at(s.out, task).vectorize(s.padded.args()[0], lanes_for(m, k.in.c));
}

// Backward data: the same register tiles over input channels x input pixels. The tap predicate
// depends on (x, y, kx, ky) only: with image tiles a scalar test around each vector FMA, unless
// the tiles are rows whose columns unroll, where it folds away (measured on 3x3 8x8x128, paired
// with oneDNN: 0.84-0.88x -> 0.97x).
void schedule(Conv2dBwdData& s, const KernelSpec& k, const schedules::Machine& m) {
  // The transposed weights (2.4-9.4 MB on stages 4 and 5), in 16x16 blocks: each vector of input
  // channels gathers 16 floats a row of Cout apart, and a block's 16 rows stay in L1 for its 16
  // gathers; row by row, a 2048-channel sweep (128 KB of lines) missed L1 on every gathered float
  // (2x2x2048 -> 512: 33 -> 67 GFLOP/s). When w_t is blocked by the tile's input channels (a fifth
  // dimension), the first two dimensions are tiled the same way.
  // At the root, the parallel loop is the outermost: inside the taps (and blocks) it was launched
  // once per tap, 9 times for a 3x3 layer and 8-32 for a blocked 1x1 one.
  std::vector<VarOrRVar> order;
  Var wci = s.w_t.args()[0], wco = s.w_t.args()[1], cio("cio"), coo("coo"), cii("cii"), coi("coi"), task;
  if (k.in.c % m.lanes == 0 && k.units % m.lanes == 0) {
    s.w_t.tile(wci, wco, cio, coo, cii, coi, m.lanes, m.lanes).vectorize(cii).unroll(coi);
    order = {cii, coi, cio}, task = coo;
  } else {
    s.w_t.vectorize(wci, lanes_for(m, k.in.c));
    order = {wci}, task = wco;
  }
  for (size_t d = 2; d < s.w_t.args().size(); ++d) order.push_back(s.w_t.args()[d]);  // kx, ky, [cb]
  order.push_back(task);
  s.w_t.reorder(order);
  const auto tiled = [&](Func out, int w, int h) {
    // Small images: each task (a tile of input channels) transposes its own slice of the weights
    // just before it reads them, so they come from L2 rather than back from L3 after a whole-layer
    // copy (the forward's w_blocked likewise). Six alternating runs of the ten small-image passes
    // (one thread; a binary each way): geometric mean 121-151 GFLOP/s, against 112-138 transposed
    // at the root, ahead in five of the six pairs.
    if (schedules::batch_tiled(w, h)) {
      const Var out_task = small_image_tiled(out, s.acc, s.r, s.d_in.output_buffer().dim(3).extent(),
                                             schedules::backward_data_batch_tile(m, k.in.c), schedules::conv_tile(m, k.in.c, w, h));
      s.w_t.compute_at(out, out_task);
    } else {
      // Taps that may miss the image: unrolled where they can be.
      const schedules::ConvTile t = schedules::backward_data_tile(m, k.in.c, w, h, conv2d::taps_may_miss(k));
      image_tiled(out, s.acc, s.r, t, conv2d::taps_may_miss(k) && schedules::unrolls_columns(t, w));
      s.w_t.compute_root().parallel(task);
    }
  };
  if (s.grid.defined()) {  // strided 1x1: the forward's tile on the output grid, then a scatter
    const Shape o = k.out;
    tiled(s.grid, o.w, o.h);
    s.grid.compute_root();
    Var c = s.d_in.args()[0], y = s.d_in.args()[2], n = s.d_in.args()[3], yn("yn");
    s.d_in.vectorize(c, lanes_for(m, k.in.c)).fuse(y, n, yn).parallel(yn);
    return;
  }
  tiled(s.d_in, k.in.w, k.in.h);
}

// Backward weights. The accumulator tile spans output-channel vectors x input channels x kernel
// columns (schedules/tiles.hpp's weight_tile): with few input channels (the stem's 3) the kernel
// columns fill it (2 x 3 = 6 accumulators before, 21 now, 25 -> 51 GFLOP/s).
// Two loop orders around it:
//  - small images (<= 16 pixels): every (channel tile, input tile, column tile, ky) is a task with
//    the whole batch reduced inside it, in registers (measured 1.4-2.9x oneDNN on stages 4 and 5).
//  - larger images: tasks are output-channel tiles (and two parts of the input channels where a
//    3x3 layer has one tile); inside, images outermost, then input tiles, then the image's
//    pixels, so one image's d_out slice stays in L1 across all input tiles and the partial sums
//    of the channel tile (ct x Cin x k x k) stay in L2. Batch-inside re-read the 7 MB d_out of a
//    15x15x256 layer from L3 once per input tile (41-61 GFLOP/s).
void schedule(Conv2dBwdWeights& s, const KernelSpec& k, const schedules::Machine& m) {
  const Shape o = k.out;
  const schedules::WeightTile t = schedules::weight_tile_of(m, o.c, k.in.c, k.kernel.w, o.w, o.h);
  // Images too large for L2 are swept by blocks of rows (0: whole; small images never are).
  const int rows = o.w * o.h > 16 ? schedules::weight_gradient_row_block(m, k.in.w, k.in.c, o.w, o.h, o.c) : 0;
  Var c = s.d_w.args()[0], ci = s.d_w.args()[1], kx = s.d_w.args()[2], ky = s.d_w.args()[3];
  Var co("co"), cii("cii"), cio("cio"), cin("cin"), kxo("kxo"), kxi("kxi"), t1("t1"), t2("t2");
  Var ac = s.acc.args()[0], aci = s.acc.args()[1], akx = s.acc.args()[2], aky = s.acc.args()[3];
  Var aco("aco"), acv("acv"), acio("acio"), acin("acin"), akxo("akxo"), akxi("akxi");
  if (o.w * o.h <= 16) {
    // A blocked input is read at (ci % inputs, ci / inputs): with the last tile shifted inwards
    // (1024 channels in tiles of 6, say) Halide cannot simplify those, and each step recomputed
    // them; guarded, ci = cio * inputs + cin. The guarded tile reads the blocked copy's clamped tail.
    const TailStrategy tail = s.in_blocked.defined() ? TailStrategy::GuardWithIf : TailStrategy::Auto;
    s.d_w.split(c, co, cii, t.channels()).split(ci, cio, cin, t.inputs, tail).split(kx, kxo, kxi, t.columns)
        .reorder(cii, cin, kxi, cio, co, kxo, ky).fuse(kxo, ky, t1).fuse(co, t1, t2).parallel(t2).vectorize(cii, t.lanes);
    s.acc.compute_at(s.d_w, cio);
    // The task's d_out channels, packed: in place each reduction step (a pixel) reads two vectors
    // a row of Cout floats apart, a new page per step that no prefetcher follows.
    Func packed = s.d_out.in(s.acc);  // the bias gradient reads d_out as it is
    packed.compute_at(s.d_w, t2).vectorize(packed.args()[0], t.lanes);
    s.acc.split(ac, aco, acv, t.lanes).vectorize(acv).unroll(aco);
    s.acc.update().split(ac, aco, acv, t.lanes).reorder(acv, aco, aci, akx, s.r.x, s.r.y, s.r.z)
        .vectorize(acv).unroll(aco).unroll(aci).unroll(akx);
  } else {
    // Tasks are output-channel tiles, and parts of the input channels where a layer has one tile
    // (schedules/tiles.hpp's weight_gradient_input_parts; each part a multiple of the tile's inputs).
    const int parts = schedules::weight_gradient_input_parts(m, o.c, k.in.c, k.kernel.w);
    const int part = (k.in.c + parts - 1) / parts;
    const int block = parts == 1 ? k.in.c : (part + t.inputs - 1) / t.inputs * t.inputs;
    Var task("task");
    s.d_w.split(c, co, cii, t.channels()).split(ci, cio, cin, block, TailStrategy::GuardWithIf)
        .reorder(cii, cin, kx, ky, co, cio).fuse(co, cio, task).parallel(task).vectorize(cii, t.lanes);
    s.acc.compute_at(s.d_w, task);
    s.acc.split(ac, aco, acv, t.lanes).vectorize(acv).unroll(aco);
    // Input tiles must divide the input channels here (weight_tile prefers that): a rounded-up tile
    // would read input channels that do not exist.
    Stage update = s.acc.update();
    update.split(ac, aco, acv, t.lanes)
        .split(aci, acio, acin, t.inputs, TailStrategy::GuardWithIf)
        .split(akx, akxo, akxi, t.columns);
    // On images too large for L2, the pixel sweep of each tile goes over a block of rows at a time,
    // and a padded input is bordered block by block: at the root, a whole batch of 224x224x64
    // images (104 MB) was written, faulted in and read back every call.
    if (rows > 0) {
      RVar ryo("ryo"), ryi("ryi");
      update.split(s.r.y, ryo, ryi, rows, TailStrategy::GuardWithIf)
          .reorder(acv, aco, acin, akxi, s.r.x, ryi, acio, akxo, aky, ryo, s.r.z);
      if (k.padded()) s.padded.compute_at(s.acc, ryo).vectorize(s.padded.args()[0], lanes_for(m, k.in.c));
    } else {
      update.reorder(acv, aco, acin, akxi, s.r.x, s.r.y, acio, akxo, aky, s.r.z);
    }
    update.vectorize(acv).unroll(aco).unroll(acin).unroll(akxi);
  }

  if (k.padded() && rows == 0)
    s.padded.compute_root().vectorize(s.padded.args()[0], lanes_for(m, k.in.c)).parallel(s.padded.args()[3]);
  if (s.in_blocked.defined()) {  // a copy of the input (of its grid), 2-8 MB: a few % of the pass
    // Each pass over the pixels fills a group of blocks: a pixel's channels of the group are read
    // as one run and written to as many blocks, each a stream of its own (all of a 1024-channel
    // input's 171 blocks of 6 at once: 171 pages written per pixel, the copy 40% of the pass).
    Var cv = s.in_blocked.args()[0], x = s.in_blocked.args()[1], y = s.in_blocked.args()[2];
    Var n = s.in_blocked.args()[3], cb = s.in_blocked.args()[4], group("group"), cbi("cbi");
    s.in_blocked.compute_root().split(cb, group, cbi, schedules::kBlockedInputGroup, TailStrategy::GuardWithIf)
        .reorder(cv, cbi, x, y, n, group).vectorize(cv).parallel(group);
  }
  if (s.d_b.defined()) {
    s.d_b.compute_root().vectorize(s.d_b.args()[0], t.lanes);
    // An output's update cannot round up past its extent: guard the last vector (17 channels, say).
    s.d_b.update().reorder(s.d_b.args()[0], s.r.x, s.r.y, s.r.z).vectorize(s.d_b.args()[0], t.lanes, TailStrategy::GuardWithIf);
  }
}

}  // namespace cnngen::codegen
