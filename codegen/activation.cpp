// Activation: relu, sigmoid, tanh pointwise over a flat tensor; softmax over channels (c, m).
//   fwd:  relu max(x, 0); sigmoid 1/(1+e^-x); tanh; softmax with the max subtracted
//   bwd (from the output y): relu dy*(y>0); sigmoid dy*y*(1-y); tanh dy*(1-y^2);
//         softmax y*(dy - sum_c dy*y)
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var i("i"), c("c"), m("m");

BuiltKernel softmax(const KernelSpec& k, const schedules::Machine* scheduled) {
  const int C = k.in.c;
  RDom r(0, C, "r");
  if (k.pass == Pass::fwd) {
    ImageParam in = matrix_param("in", C);
    SoftmaxFwd st{Func("mx"), Func("e"), Func("total"), Func("out")};
    st.mx(m) = maximum(in(r, m));
    st.e(c, m) = exp(in(c, m) - st.mx(m));
    st.total(m) = sum(st.e(r, m));
    st.out(c, m) = st.e(c, m) / st.total(m);
    constrain_matrix_output(st.out, C);
    if (scheduled) schedule(st, k, *scheduled);
    return {Pipeline(st.out), {in}};
  }
  ImageParam y_ = matrix_param("out", C), dy = matrix_param("d_out", C);
  SoftmaxBwd st{Func("dot"), Func("d_in")};
  st.dot(m) = sum(dy(r, m) * y_(r, m));
  st.d_in(c, m) = y_(c, m) * (dy(c, m) - st.dot(m));
  constrain_matrix_output(st.d_in, C);
  if (scheduled) schedule(st, k, *scheduled);
  return {Pipeline(st.d_in), {y_, dy}};
}

BuiltKernel activation(const KernelSpec& k, const schedules::Machine* scheduled) {
  if (k.act == Act::softmax) return softmax(k, scheduled);
  Func f(k.pass == Pass::fwd ? "out" : "d_in");
  if (k.pass == Pass::fwd) {
    ImageParam in = flat_param("in");
    f(i) = activate(k.act, in(i));
    constrain_flat_output(f);
    if (scheduled) schedule_elementwise(f);
    return {Pipeline(f), {in}};
  }
  ImageParam out = flat_param("out"), d_out = flat_param("d_out");
  Expr yv = out(i), dy = d_out(i);
  switch (k.act) {
    case Act::relu: f(i) = select(yv > 0.0f, dy, 0.0f); break;
    case Act::sigmoid: f(i) = dy * yv * (1.0f - yv); break;
    case Act::tanh: f(i) = dy * (1.0f - yv * yv); break;
    default: f(i) = dy; break;
  }
  constrain_flat_output(f);
  if (scheduled) schedule_elementwise(f);
  return {Pipeline(f), {out, d_out}};
}

}  // namespace

BuiltKernel build_activation(const KernelSpec& k, const schedules::Machine* scheduled) { return activation(k, scheduled); }

}  // namespace cnngen::codegen
