// Conv2D, the three passes, and inference's forward with the BatchNorm (Add, activation) after it
// applied (conv2d_bn_infer_fwd) and the weight layout it reads (conv2d_block_weights). Shapes (per sample, NHWC; Halide (c, x, y, n)):
//   in (H, W, Cin), w (KH, KW, Cin, Cout) as Halide (co, ci, kx, ky), b (Cout), out (OH, OW, Cout).
// Padding is explicit (pt, pb, pl, pr): 'same' was resolved to it by the DSL, TensorFlow's way.
#include "kernel.hpp"
#include "stages.hpp"
#include "../schedules/tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

// Not "ci": Adams2019 names the inner loop of a split of c "ci", and the twin (codegen/autoschedule) would clash.
Var c("c"), x("x"), y("y"), n("n"), kx("kx"), ky("ky"), ci("c_in"), p("p");

Func zero_padded(ImageParam in, const Shape& s, const KernelSpec& k) {
  Func f("padded");
  if (!k.padded()) {
    f(c, x, y, n) = in(c, x, y, n);
    return f;
  }
  f(c, x, y, n) = BoundaryConditions::constant_exterior(in, 0.0f, {{0, s.c}, {0, s.w}, {0, s.h}})(c, x, y, n);
  return f;
}

// The layout of conv2d_block_weights' output, which conv2d_bn_infer_fwd reads: Keras's (co, ci, kx, ky)
// with the output channels in blocks of the forward's register tile, the blocks outermost, so
// w_blocked[cv + B (ci + Cin (kx + KW (ky + KH cb)))] = w(cb B + cv, ci, kx, ky). B is the tile's
// channels where they divide the output channels, else all of them (the Keras order itself). The
// tile is the machine's: both kernels are generated for the same one. The bare algorithm (no
// machine) keeps the Keras order.
int forward_tile_channels(const KernelSpec& k, const schedules::Machine* m) {
  const Shape o = k.out;
  if (!m) return o.c;
  return conv2d::is_pointwise(k) ? schedules::point_tile(*m, o.c).channels() : schedules::tile_channels(*m, o.c, o.w, o.h);
}

int weight_block(const KernelSpec& k, const schedules::Machine* m) {
  const int block = forward_tile_channels(k, m);
  return k.units % block == 0 ? block : k.units;
}

Expr blocked_index(const KernelSpec& k, const schedules::Machine* m, Expr co, Expr ci, Expr kx, Expr ky) {
  const int block = weight_block(k, m);
  return co % block + block * (ci + k.in.c * (kx + k.kernel.w * (ky + k.kernel.h * (co / block))));
}

BuiltKernel block_weights(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  ImageParam w = fixed_param("w", {o.c, s.c, k.kernel.w, k.kernel.h});
  const int block = weight_block(k, scheduled), count = o.c * s.c * k.kernel.w * k.kernel.h;
  Var i("i");
  Func out("w_blocked");
  Expr cv = i % block, rest = i / block;
  Expr cin = rest % s.c, tx = rest / s.c % k.kernel.w, ty = rest / (s.c * k.kernel.w) % k.kernel.h;
  Expr cb = rest / (s.c * k.kernel.w * k.kernel.h);
  out(i) = w(cb * block + cv, cin, tx, ty);
  constrain_fixed_output(out, {count});
  if (scheduled) {  // once per change of the weights: a plain parallel copy
    Var io("io"), ii("ii");
    out.split(i, io, ii, 4096, TailStrategy::GuardWithIf).parallel(io).vectorize(ii, schedules::lanes_for(*scheduled, block), TailStrategy::GuardWithIf);
  }
  return {Pipeline(out), {w}};
}

BuiltKernel forward(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  const bool inference = k.pass == Pass::bn_infer_fwd;
  // Pointwise (conv2d.hpp's flattens_pixels): the output images as (channels, points) matrices, point
  // = x + OW (y + OH n); the input too at stride 1, else read through a copy of its grid.
  const bool flat = scheduled && conv2d::flattens_pixels(k), flat_in = flat && conv2d::flattens_input(k);
  const std::vector<Var> at = flat ? std::vector<Var>{c, p} : std::vector<Var>{c, x, y, n};
  ImageParam in = flat_in ? matrix_param("in", s.c) : image_param("in", s);
  // At inference the weights come blocked by conv2d_block_weights, once per change rather than per batch.
  ImageParam w = inference ? fixed_param("w_blocked", {o.c * s.c * k.kernel.w * k.kernel.h})
                           : fixed_param("w", {o.c, s.c, k.kernel.w, k.kernel.h});
  ImageParam b = fixed_param("b", {o.c});

  Conv2dFwd st;
  st.r = RDom(0, s.c, 0, k.kernel.w, 0, k.kernel.h, "r");
  const Expr ix = x * k.strides.w + st.r.y - k.pad_left, iy = y * k.strides.h + st.r.z - k.pad_top;
  if (scheduled && schedules::forward_skips_padding(*scheduled, o.w, o.h, o.c, k.padded())) {
    // The taps that fall in the padding are left out of the reduction rather than multiplied by a
    // zero border (schedules/tiles.hpp's forward_skips_padding says where the schedule can).
    // The same sum; the bare algorithm keeps the zero border, which propagate_adjoints (a test
    // oracle) can differentiate and a predicate on the pure variables it cannot.
    st.r.where(ix >= 0 && ix < s.w && iy >= 0 && iy < s.h);
    st.padded = Func("in_clamped");  // only read where the taps land; the clamp keeps bounds exact
    st.padded(c, x, y, n) = in(c, clamp(x, 0, s.w - 1), clamp(y, 0, s.h - 1), n);
  } else if (flat && !flat_in) {  // strided: the input's grid, copied as a matrix (schedule_pointwise)
    st.padded = Func("in_grid");
    st.padded(c, p) = in(c, p % o.w * k.strides.w, p / o.w % o.h * k.strides.h, p / (o.w * o.h));
  } else if (!flat) {
    st.padded = zero_padded(in, s, k);
  }
  Expr weight = inference ? w(blocked_index(k, scheduled, c, st.r.x, st.r.y, st.r.z)) : w(c, st.r.x, st.r.y, st.r.z);
  const int block = forward_tile_channels(k, scheduled);
  if (scheduled && !inference && o.c % block == 0) {
    // The register tile's weights in the order its reduction reads them: the block of output
    // channels of one tap and input channel, then the next input channel. In Keras's layout that
    // step is a row of Cout floats away (fresh cache lines every step); blocked, the tile streams
    // through contiguous memory.
    Var cb("cb"), cv("cv");
    st.w_blocked = Func("w_blocked");
    st.w_blocked(cv, ci, kx, ky, cb) = w(cb * block + cv, ci, kx, ky);
    weight = st.w_blocked(c % block, st.r.x, st.r.y, st.r.z, c / block);
  }
  st.conv = Func("conv");
  st.conv(at) = k.use_bias ? b(c) : 0.0f;
  st.conv(at) += weight * (flat_in ? in(st.r.x, p) : flat ? st.padded(st.r.x, p) : st.padded(st.r.x, ix, iy, n));
  std::vector<KernelInput> args{in, w};
  if (k.use_bias) args.push_back(b);
  st.out = Func("out");
  if (inference) {
    // The epilogue of fusion.hpp's inference_fusion, applied where the schedule stores the
    // convolution: each register tile, or on small images each task's tiles (schedules/conv2d.cpp).
    ImageParam scale = fixed_param("scale", {o.c}), shift = fixed_param("shift", {o.c});
    st.raw = Func("raw");  // the convolution as conv2d_fwd stores it; a schedule may store it first
    st.raw(at) = st.conv(at);
    Expr v = st.raw(at) * scale(c) + shift(c);
    args.push_back(scale), args.push_back(shift);
    if (k.residual) {
      ImageParam residual = flat ? matrix_param("residual", o.c) : image_param("residual", o);
      v += residual(at);
      args.push_back(residual);
    }
    st.out(at) = activate(k.act, v);
  } else {
    st.out(at) = activate(k.act, st.conv(at));  // Conv2D's own activation=, if any
  }
  if (flat) constrain_matrix_output(st.out, o.c);
  else constrain_image_output(st.out, o);

  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(st.out), args};
}

BuiltKernel backward_data(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  ImageParam d_out = image_param("d_out", o);
  ImageParam w = fixed_param("w", {o.c, s.c, k.kernel.w, k.kernel.h});

  Conv2dBwdData st;
  st.w_t = Func("w_t");  // (ci, co, kx, ky): ci innermost, the dimension d_in is vectorised over
  const bool strided_1x1 = k.kernel.h == 1 && k.kernel.w == 1 && (k.strides.h > 1 || k.strides.w > 1) && !k.padded();
  const Shape grid = strided_1x1 ? o : s;  // the pixels the register tile runs over
  const int block =
      scheduled ? schedules::backward_data_tile_channels(*scheduled, s.c, grid.w, grid.h, conv2d::taps_may_miss(k)) : s.c;
  // As the forward's w_blocked: a block of input channels innermost, then the reduction's order, so
  // that the register tile streams through contiguous weights.
  const bool blocked = scheduled && s.c % block == 0;
  Var cb("cb");
  if (blocked) st.w_t(ci, c, kx, ky, cb) = w(c, cb * block + ci, kx, ky);
  else st.w_t(ci, c, kx, ky) = w(c, ci, kx, ky);
  const auto w_t = [&](Expr i, Expr co, Expr tx, Expr ty) {
    return blocked ? st.w_t(i % block, co, tx, ty, i / block) : st.w_t(i, co, tx, ty);
  };
  st.d_out_clamped = BoundaryConditions::repeat_edge(d_out, {{0, o.c}, {0, o.w}, {0, o.h}});

  if (strided_1x1) {
    // Strided 1x1: input pixel (x, y) is read only by output pixel (x/sw, y/sh), and only when both
    // divide exactly; the product is dense on the output grid.
    st.r = RDom(0, o.c, 0, 1, 0, 1, "r");
    st.acc = Func("acc");
    st.acc(ci, x, y, n) = 0.0f;
    st.acc(ci, x, y, n) += w_t(ci, st.r.x, 0, 0) * d_out(st.r.x, x, y, n);
    st.grid = Func("grid");
    st.grid(ci, x, y, n) = st.acc(ci, x, y, n);
    const Expr on_grid = x % k.strides.w == 0 && y % k.strides.h == 0 && x / k.strides.w < o.w && y / k.strides.h < o.h;
    st.d_in = Func("d_in");
    st.d_in(ci, x, y, n) = select(on_grid, st.grid(ci, min(x / k.strides.w, o.w - 1), min(y / k.strides.h, o.h - 1), n), 0.0f);
    constrain_image_output(st.d_in, s);
    if (scheduled) schedule(st, k, *scheduled);
    return {Pipeline(st.d_in), {d_out, w}};
  }

  // The tap (kx, ky) of output pixel (ox, oy) reads input pixel (ox*sw + kx - pl, oy*sh + ky - pt);
  // so input pixel (x, y) receives from ox = (x + pl - kx) / sw when that divides exactly and is in range.
  st.r = RDom(0, o.c, 0, k.kernel.w, 0, k.kernel.h, "r");
  const Expr tx = x + k.pad_left - st.r.y, ty = y + k.pad_top - st.r.z;
  const Expr ox = tx / k.strides.w, oy = ty / k.strides.h;  // Halide's division floors
  Expr lands = tx >= 0 && ty >= 0 && ox < o.w && oy < o.h;
  if (k.strides.w > 1) lands = lands && tx % k.strides.w == 0;
  if (k.strides.h > 1) lands = lands && ty % k.strides.h == 0;
  st.r.where(lands);

  st.acc = Func("acc");
  st.acc(ci, x, y, n) = 0.0f;
  st.acc(ci, x, y, n) += w_t(ci, st.r.x, st.r.y, st.r.z) * st.d_out_clamped(st.r.x, ox, oy, n);
  st.d_in = Func("d_in");
  st.d_in(ci, x, y, n) = st.acc(ci, x, y, n);
  constrain_image_output(st.d_in, s);

  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(st.d_in), {d_out, w}};
}

BuiltKernel backward_weights(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  ImageParam in = image_param("in", s);
  ImageParam d_out = image_param("d_out", o);

  Conv2dBwdWeights st;
  st.padded = zero_padded(in, s, k);
  if (!scheduled && !k.padded()) {
    // The bare algorithm is what Adams2019 schedules for the benchmarks' twins. Its schedules for
    // two 1x1 layers on 15x15 read outside the input (HALIDE14.md's pitfall 8: the runs failed
    // their bounds checks, past the last pixel of 15x15x64 -> 256 and 8 channels before the first
    // of 15x15x256 -> 64); clamped, those reads stay inside and read values the sum never uses.
    // The hand schedule reads exact bounds, and the tests' adjoint oracle differentiates the
    // forward algorithm, not this one.
    st.padded = Func("in_clamped");
    st.padded(c, x, y, n) = in(clamp(c, 0, s.c - 1), clamp(x, 0, s.w - 1), clamp(y, 0, s.h - 1), n);
  }
  st.d_out = Func("d_out_read");  // where a schedule may pack d_out
  st.d_out(c, x, y, n) = d_out(c, x, y, n);
  st.r = RDom(0, o.w, 0, o.h, 0, d_out.dim(3).extent(), "r");
  Expr input = st.padded(ci, st.r.x * k.strides.w + kx - k.pad_left, st.r.y * k.strides.h + ky - k.pad_top, st.r.z);
  const int block = scheduled ? schedules::weight_tile_of(*scheduled, o.c, s.c, k.kernel.w, o.w, o.h).inputs : s.c;
  if (scheduled && schedules::blocks_weight_gradient_input(*scheduled, k.kernel.w, k.kernel.h, k.padded(), s.c, o.c)) {
    // A 1x1 layer's input blocked by the register tile's input channels, on the output grid (a
    // strided layer reads every stride-th pixel): each step of the reduction, one pixel, broadcasts
    // `block` input channels, which in NHWC are a row of Cin floats (up to 8 KB: pages) from the
    // last step's. Blocked, a tile's steps read contiguous memory. A block past the last channel
    // repeats it; the tiles that read there compute weights that are not stored.
    Var cb("cb"), cv("cv");
    st.in_blocked = Func("in_blocked");
    st.in_blocked(cv, x, y, n, cb) = in(min(cb * block + cv, s.c - 1), x * k.strides.w, y * k.strides.h, n);
    input = st.in_blocked(ci % block, st.r.x, st.r.y, st.r.z, ci / block);
  }
  st.acc = Func("acc");
  st.acc(c, ci, kx, ky) = 0.0f;
  st.acc(c, ci, kx, ky) += st.d_out(c, st.r.x, st.r.y, st.r.z) * input;
  st.d_w = Func("d_w");
  st.d_w(c, ci, kx, ky) = st.acc(c, ci, kx, ky);
  constrain_fixed_output(st.d_w, {o.c, s.c, k.kernel.w, k.kernel.h});
  std::vector<Func> outs{st.d_w};
  if (k.use_bias) {
    st.d_b = Func("d_b");
    st.d_b(c) = 0.0f;
    st.d_b(c) += d_out(c, st.r.x, st.r.y, st.r.z);
    constrain_fixed_output(st.d_b, {o.c});
    outs.push_back(st.d_b);
  }
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(outs), {in, d_out}};
}

}  // namespace

BuiltKernel build_conv2d(const KernelSpec& k, const schedules::Machine* scheduled) {
  if (k.pass == Pass::fwd || k.pass == Pass::bn_infer_fwd) return forward(k, scheduled);
  if (k.pass == Pass::block_weights) return block_weights(k, scheduled);
  if (k.pass == Pass::bwd_data) return backward_data(k, scheduled);
  return backward_weights(k, scheduled);
}

}  // namespace cnngen::codegen
