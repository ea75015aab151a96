// MaxPooling2D and AveragePooling2D, 'valid' windows. Shapes: in (H, W, C) -> out (OH, OW, C).
// Backward is a gather: input pixel x is covered by the windows ox = x/sw - j, j < ceil(k/sw), that
// contain it; the gradient of a window goes to its first maximum (row-major), or 1/(kh*kw) of it to
// every pixel for averaging.
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var c("c"), x("x"), y("y"), n("n");

BuiltKernel forward(const KernelSpec& k, bool scheduled) {
  const Shape s = k.in, o = k.out;
  ImageParam in = image_param("in", s);
  RDom r(0, k.kernel.w, 0, k.kernel.h, "r");
  Expr v = in(c, x * k.strides.w + r.x, y * k.strides.h + r.y, n);
  PoolFwd st;
  st.out = Func("out");
  if (k.op == Op::max_pool2d) st.out(c, x, y, n) = maximum(v);
  else st.out(c, x, y, n) = sum(v) / static_cast<float>(k.kernel.w * k.kernel.h);
  constrain_image_output(st.out, o);
  if (scheduled) schedule(st, k);
  return {Pipeline(st.out), {in}};
}

BuiltKernel backward(const KernelSpec& k, bool scheduled) {
  const Shape s = k.in, o = k.out;
  const bool is_max = k.op == Op::max_pool2d;
  ImageParam in = image_param("in", s);
  ImageParam d_out = image_param("d_out", o);

  PoolBwd st;
  if (is_max) {
    RDom w(0, k.kernel.w, 0, k.kernel.h, "w");
    st.argmax = Func("argmax");  // (kx, ky) of the first maximum of each window
    Tuple am = argmax(in(c, x * k.strides.w + w.x, y * k.strides.h + w.y, n));
    st.argmax(c, x, y, n) = {am[0], am[1]};
  }
  const int jx = (k.kernel.w + k.strides.w - 1) / k.strides.w, jy = (k.kernel.h + k.strides.h - 1) / k.strides.h;
  RDom j(0, jx, 0, jy, "j");
  Expr ox = x / k.strides.w - j.x, oy = y / k.strides.h - j.y;
  Expr tap_x = x - ox * k.strides.w, tap_y = y - oy * k.strides.h;  // position of (x, y) in window (ox, oy)
  Expr covers = ox >= 0 && oy >= 0 && ox < o.w && oy < o.h && tap_x < k.kernel.w && tap_y < k.kernel.h;
  Expr oxc = clamp(ox, 0, o.w - 1), oyc = clamp(oy, 0, o.h - 1);
  Expr grad = d_out(c, oxc, oyc, n);
  if (is_max) {
    covers = covers && st.argmax(c, oxc, oyc, n)[0] == tap_x && st.argmax(c, oxc, oyc, n)[1] == tap_y;
  } else {
    grad = grad / static_cast<float>(k.kernel.w * k.kernel.h);
  }
  st.d_in = Func("d_in");
  st.d_in(c, x, y, n) = sum(select(covers, grad, 0.0f));
  constrain_image_output(st.d_in, s);
  if (scheduled) schedule(st, k);
  std::vector<KernelInput> args;
  if (is_max) args.push_back(in);
  args.push_back(d_out);
  return {Pipeline(st.d_in), args};
}

}  // namespace

BuiltKernel build_max_pool2d(const KernelSpec& k, bool scheduled) {
  return k.pass == Pass::fwd ? forward(k, scheduled) : backward(k, scheduled);
}

BuiltKernel build_avg_pool2d(const KernelSpec& k, bool scheduled) {
  return k.pass == Pass::fwd ? forward(k, scheduled) : backward(k, scheduled);
}

}  // namespace cnngen::codegen
