// BatchNormalization over the channel axis. Shapes: in, out, d_out (H, W, C); gamma, beta, mean,
// variance (C). M = N*H*W values per channel.
//   train:     mean = sum(x)/M, var = sum((x-mean)^2)/M (two passes: no cancellation), y = gamma*(x-mean)/sqrt(var+eps) + beta
//   inference: y = gamma*(x - moving_mean)/sqrt(moving_var + eps) + beta
//   (both forwards end with the activation fused into them, if any: fusion.hpp's fused_activation)
//   backward (batch statistics): xhat = (x-mean)/sqrt(var+eps), d_beta = sum(dy), d_gamma = sum(dy*xhat),
//              dx = gamma/sqrt(var+eps)/M * (M*dy - d_beta - xhat*d_gamma)
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var c("c"), x("x"), y("y"), n("n");

BuiltKernel train_forward(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in;
  ImageParam in = image_param("in", s);
  ImageParam gamma = fixed_param("gamma", {s.c}), beta = fixed_param("beta", {s.c});
  Param<float> eps("eps");
  Expr m = cast<float>(s.w * s.h * in.dim(3).extent());

  BatchNormTrainFwd st;
  st.r = RDom(0, s.w, 0, s.h, 0, in.dim(3).extent(), "r");
  const RDom& r = st.r;
  st.sum = Func("sum");
  st.sum(c) = 0.0f;
  st.sum(c) += in(c, r.x, r.y, r.z);
  st.mean = Func("mean");
  st.mean(c) = st.sum(c) / m;
  st.sq = Func("sq");
  st.sq(c) = 0.0f;
  st.sq(c) += pow(in(c, r.x, r.y, r.z) - st.mean(c), 2);
  st.var = Func("var");
  st.var(c) = st.sq(c) / m;
  st.scale = Func("scale");
  st.scale(c) = gamma(c) / sqrt(st.var(c) + eps);
  st.out = Func("out");
  st.out(c, x, y, n) = activate(k.act, (in(c, x, y, n) - st.mean(c)) * st.scale(c) + beta(c));
  constrain_image_output(st.out, s);
  constrain_fixed_output(st.mean, {s.c});
  constrain_fixed_output(st.var, {s.c});
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline({st.out, st.mean, st.var}), {in, gamma, beta, eps}};
}

BuiltKernel infer_forward(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in;
  ImageParam in = image_param("in", s);
  ImageParam gamma = fixed_param("gamma", {s.c}), beta = fixed_param("beta", {s.c});
  ImageParam mean = fixed_param("mean", {s.c}), var = fixed_param("var", {s.c});
  Param<float> eps("eps");

  BatchNormInferFwd st;
  st.scale = Func("scale");
  st.scale(c) = gamma(c) / sqrt(var(c) + eps);
  st.shift = Func("shift");
  st.shift(c) = beta(c) - mean(c) * st.scale(c);
  st.out = Func("out");
  st.out(c, x, y, n) = activate(k.act, in(c, x, y, n) * st.scale(c) + st.shift(c));
  constrain_image_output(st.out, s);
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(st.out), {in, gamma, beta, mean, var, eps}};
}

BuiltKernel backward(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in;
  ImageParam in = image_param("in", s), d_out = image_param("d_out", s);
  ImageParam gamma = fixed_param("gamma", {s.c}), mean = fixed_param("mean", {s.c}), var = fixed_param("var", {s.c});
  Param<float> eps("eps");
  Expr m = cast<float>(s.w * s.h * in.dim(3).extent());

  BatchNormBwd st;
  st.r = RDom(0, s.w, 0, s.h, 0, in.dim(3).extent(), "r");
  const RDom& r = st.r;
  st.inv_std = Func("inv_std");
  st.inv_std(c) = 1.0f / sqrt(var(c) + eps);
  const auto xhat = [&](Expr cc, Expr xx, Expr yy, Expr nn) { return (in(cc, xx, yy, nn) - mean(cc)) * st.inv_std(cc); };
  st.d_beta = Func("d_beta");
  st.d_beta(c) = 0.0f;
  st.d_beta(c) += d_out(c, r.x, r.y, r.z);
  st.d_gamma = Func("d_gamma");
  st.d_gamma(c) = 0.0f;
  st.d_gamma(c) += d_out(c, r.x, r.y, r.z) * xhat(c, r.x, r.y, r.z);
  st.d_in = Func("d_in");
  st.d_in(c, x, y, n) = gamma(c) * st.inv_std(c) / m *
                        (m * d_out(c, x, y, n) - st.d_beta(c) - xhat(c, x, y, n) * st.d_gamma(c));
  constrain_image_output(st.d_in, s);
  constrain_fixed_output(st.d_gamma, {s.c});
  constrain_fixed_output(st.d_beta, {s.c});
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline({st.d_in, st.d_gamma, st.d_beta}), {in, gamma, mean, var, d_out, eps}};
}

}  // namespace

BuiltKernel build_batch_norm(const KernelSpec& k, const schedules::Machine* scheduled) {
  switch (k.pass) {
    case Pass::train_fwd: return train_forward(k, scheduled);
    case Pass::infer_fwd: return infer_forward(k, scheduled);
    default: return backward(k, scheduled);
  }
}

}  // namespace cnngen::codegen
