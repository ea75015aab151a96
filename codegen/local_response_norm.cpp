// LocalResponseNormalization's algorithm: a window of 2r + 1 channels around each value, the
// channels past either end counting as zeros (TensorFlow's).
#include "local_response_norm.hpp"

#include "kernel.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var c("c"), x("x"), y("y"), n("n");

// f with zeros outside channels [0, C), for the windows' sums.
Func channels_zero_outside(Func f, int C, const std::string& name) {
  Func z(name);
  z(c, x, y, n) = select(c >= 0 && c < C, f(clamp(c, 0, C - 1), x, y, n), 0.0f);
  return z;
}

// s(c) = bias + alpha * sum_{j = -r .. r} in(c + j)^2
Func window_scale(Func in, const KernelSpec& k, Expr bias, Expr alpha) {
  const int r = k.units;
  Func zin = channels_zero_outside(in, k.in.c, "in_zero_outside");
  RDom j(-r, 2 * r + 1, "j");
  Func scale("scale");
  scale(c, x, y, n) = bias + alpha * sum(zin(c + j, x, y, n) * zin(c + j, x, y, n));
  return scale;
}

}  // namespace

BuiltKernel build_local_response_norm(const KernelSpec& k, const schedules::Machine* scheduled) {
  ImageParam in = image_param("in", k.in);
  Param<float> bias("bias"), alpha("alpha"), beta("beta");
  if (k.pass == Pass::fwd) {
    LocalResponseNormFwd st;
    st.scale = window_scale(in, k, bias, alpha);
    st.out = Func("out");
    st.out(c, x, y, n) = in(c, x, y, n) * pow(st.scale(c, x, y, n), -beta);
    constrain_image_output(st.out, k.out);
    if (scheduled) schedule(st, k, *scheduled);
    return {Pipeline(st.out), {in, bias, alpha, beta}};
  }
  // d_in(j) = d_out(j) s(j)^-beta - 2 alpha beta in(j) sum_{c = j - r .. j + r} t(c)
  ImageParam d_out = image_param("d_out", k.out);
  LocalResponseNormBwd st;
  st.scale = window_scale(in, k, bias, alpha);
  Func t_inside("t_inside");
  t_inside(c, x, y, n) = d_out(c, x, y, n) * in(c, x, y, n) * pow(st.scale(c, x, y, n), -beta - 1.0f);
  st.t = channels_zero_outside(t_inside, k.in.c, "t");
  RDom j(-k.units, 2 * k.units + 1, "j");
  st.d_in = Func("d_in");
  st.d_in(c, x, y, n) = d_out(c, x, y, n) * pow(st.scale(c, x, y, n), -beta) -
                        2.0f * alpha * beta * in(c, x, y, n) * sum(st.t(c + j, x, y, n));
  constrain_image_output(st.d_in, k.in);
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(st.d_in), {in, d_out, bias, alpha, beta}};
}

}  // namespace cnngen::codegen
