// The layers with no reduction over a window: activations, Add and ZeroPadding2D.
//   act fwd:  relu max(x, 0); sigmoid 1/(1+e^-x); tanh; softmax over channels (c, m) with the max subtracted
//   act bwd (from the output y): relu dy*(y>0); sigmoid dy*y*(1-y); tanh dy*(1-y^2);
//            softmax y*(dy - sum_c dy*y)
//   add:      out = a + b, or act(a + b) with a fused activation (backward is the identity to both
//             inputs, done by the run time; the fused activation's backward is its own layer's)
//   zeropad:  out(c, x, y, n) = in(c, x - pl, y - pt, n) inside, 0 outside; backward crops.
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var i("i"), c("c"), m("m"), x("x"), y("y"), n("n");

ImageParam flat_param(const std::string& name) {
  ImageParam p(Float(32), 1, name);
  p.dim(0).set_min(0);
  return p;
}

void constrain_flat_output(Func f) { f.output_buffer().dim(0).set_min(0); }

BuiltKernel softmax(const KernelSpec& k, bool scheduled) {
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
    if (scheduled) schedule(st, k);
    return {Pipeline(st.out), {in}};
  }
  ImageParam y_ = matrix_param("out", C), dy = matrix_param("d_out", C);
  SoftmaxBwd st{Func("dot"), Func("d_in")};
  st.dot(m) = sum(dy(r, m) * y_(r, m));
  st.d_in(c, m) = y_(c, m) * (dy(c, m) - st.dot(m));
  constrain_matrix_output(st.d_in, C);
  if (scheduled) schedule(st, k);
  return {Pipeline(st.d_in), {y_, dy}};
}

BuiltKernel activation(const KernelSpec& k, bool scheduled) {
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

BuiltKernel build_activation(const KernelSpec& k, bool scheduled) { return activation(k, scheduled); }

BuiltKernel build_add(const KernelSpec& k, bool scheduled) {
  ImageParam a = flat_param("a"), b = flat_param("b");
  Func out("out");
  out(i) = activate(k.act, a(i) + b(i));  // a fused activation (plan.hpp's fused_activation)
  constrain_flat_output(out);
  if (scheduled) schedule_elementwise(out);
  return {Pipeline(out), {a, b}};
}

BuiltKernel build_zero_padding2d(const KernelSpec& k, bool scheduled) {
  const Shape s = k.in, o = k.out;
  if (k.pass == Pass::fwd) {
    ImageParam in = image_param("in", s);
    Func padded = BoundaryConditions::constant_exterior(in, 0.0f, {{0, s.c}, {0, s.w}, {0, s.h}});
    Func out("out");
    out(c, x, y, n) = padded(c, x - k.pad_left, y - k.pad_top, n);
    constrain_image_output(out, o);
    if (scheduled) schedule_rows(out, o.w, o.c);
    return {Pipeline(out), {in}};
  }
  ImageParam d_out = image_param("d_out", o);
  Func d_in("d_in");
  d_in(c, x, y, n) = d_out(c, x + k.pad_left, y + k.pad_top, n);
  constrain_image_output(d_in, s);
  if (scheduled) schedule_rows(d_in, s.w, s.c);
  return {Pipeline(d_in), {d_out}};
}

}  // namespace cnngen::codegen
