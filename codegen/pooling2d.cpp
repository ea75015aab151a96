// MaxPooling2D and AveragePooling2D, 'valid' or 'same' windows. Shapes: in (H, W, C) -> out (OH, OW, C).
// 'Same' pads as TensorFlow does (pt, pb, pl, pr from the DSL); the padding never wins a maximum
// and is not counted in an average. Backward is a gather: input pixel x, at xp = x + pl of the
// padded image, is covered by the windows ox = xp/sw - j, j < ceil(k/sw), that contain it; the
// gradient of a window goes to its first maximum (row-major), or 1/count of it to each of the
// window's count pixels inside the image for averaging.
#include <limits>

#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var c("c"), x("x"), y("y"), n("n");

// The input as the windows read it: with 'same' padding, a border that never wins a maximum
// (-inf) or adds nothing to a sum (0).
Func windowed(ImageParam in, const KernelSpec& k) {
  if (!k.padded()) return Func(in);
  const float border = k.op == Op::max_pool2d ? -std::numeric_limits<float>::infinity() : 0.0f;
  return BoundaryConditions::constant_exterior(in, border, {{0, k.in.c}, {0, k.in.w}, {0, k.in.h}});
}

// How many pixels of window (ox, oy) lie inside the image: what an average divides by, as Keras's
// 'same' average pool (the padding is not counted); kh*kw without padding.
Expr window_count(const KernelSpec& k, Expr ox, Expr oy) {
  if (!k.padded()) return static_cast<float>(k.kernel.w * k.kernel.h);
  Expr x0 = ox * k.strides.w - k.pad_left, y0 = oy * k.strides.h - k.pad_top;
  Expr w = min(x0 + k.kernel.w, k.in.w) - max(x0, 0), h = min(y0 + k.kernel.h, k.in.h) - max(y0, 0);
  return cast<float>(w * h);
}

BuiltKernel forward(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  ImageParam in = image_param("in", s);
  Func src = windowed(in, k);
  RDom r(0, k.kernel.w, 0, k.kernel.h, "r");
  Expr v = src(c, x * k.strides.w + r.x - k.pad_left, y * k.strides.h + r.y - k.pad_top, n);
  PoolFwd st;
  st.out = Func("out");
  if (k.op == Op::max_pool2d) st.out(c, x, y, n) = maximum(v);
  else st.out(c, x, y, n) = sum(v) / window_count(k, x, y);
  constrain_image_output(st.out, o);
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(st.out), {in}};
}

BuiltKernel backward(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  const bool is_max = k.op == Op::max_pool2d;
  ImageParam in = image_param("in", s);
  ImageParam d_out = image_param("d_out", o);

  PoolBwd st;
  if (is_max) {
    Func src = windowed(in, k);
    RDom w(0, k.kernel.w, 0, k.kernel.h, "w");
    st.argmax = Func("argmax");  // (kx, ky) of the first maximum of each window
    Tuple am = argmax(src(c, x * k.strides.w + w.x - k.pad_left, y * k.strides.h + w.y - k.pad_top, n));
    st.argmax(c, x, y, n) = {am[0], am[1]};
  }
  // Input pixel (x, y) is at (xp, yp) of the padded image, covered by windows ox = xp/sw - j.
  Expr xp = x + k.pad_left, yp = y + k.pad_top;
  const int jx = (k.kernel.w + k.strides.w - 1) / k.strides.w, jy = (k.kernel.h + k.strides.h - 1) / k.strides.h;
  RDom j(0, jx, 0, jy, "j");
  Expr ox = xp / k.strides.w - j.x, oy = yp / k.strides.h - j.y;
  Expr tap_x = xp - ox * k.strides.w, tap_y = yp - oy * k.strides.h;  // position of (x, y) in window (ox, oy)
  Expr covers = ox >= 0 && oy >= 0 && ox < o.w && oy < o.h && tap_x < k.kernel.w && tap_y < k.kernel.h;
  Expr oxc = clamp(ox, 0, o.w - 1), oyc = clamp(oy, 0, o.h - 1);
  Expr grad = d_out(c, oxc, oyc, n);
  if (is_max) {
    covers = covers && st.argmax(c, oxc, oyc, n)[0] == tap_x && st.argmax(c, oxc, oyc, n)[1] == tap_y;
  } else {
    grad = grad / window_count(k, oxc, oyc);
  }
  st.d_in = Func("d_in");
  st.d_in(c, x, y, n) = sum(select(covers, grad, 0.0f));
  constrain_image_output(st.d_in, s);
  if (scheduled) schedule(st, k, *scheduled);
  std::vector<KernelInput> args;
  if (is_max) args.push_back(in);
  args.push_back(d_out);
  return {Pipeline(st.d_in), args};
}

}  // namespace

BuiltKernel build_max_pool2d(const KernelSpec& k, const schedules::Machine* scheduled) {
  return k.pass == Pass::fwd ? forward(k, scheduled) : backward(k, scheduled);
}

BuiltKernel build_avg_pool2d(const KernelSpec& k, const schedules::Machine* scheduled) {
  return k.pass == Pass::fwd ? forward(k, scheduled) : backward(k, scheduled);
}

}  // namespace cnngen::codegen
