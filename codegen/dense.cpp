// Dense. Shapes: in (K) per sample, Halide (k, n); w Keras (K, U) = Halide (u, k); b (U); out (U).
//   out(u, n) = b(u) + sum_k w(u, k) in(k, n)
//   d_in(k, n) = sum_u w(u, k) d_out(u, n)
//   d_w(u, k) = sum_n d_out(u, n) in(k, n),  d_b(u) = sum_n d_out(u, n)
// Dense's activation is a separate act kernel (or the loss, for the output layer).
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

Var u("u"), k("k"), n("n");

BuiltKernel forward(const KernelSpec& s, const schedules::Machine* scheduled) {
  const int K = s.in.c, U = s.units;
  ImageParam in = matrix_param("in", K);
  ImageParam w = fixed_param("w", {U, K}), b = fixed_param("b", {U});
  DenseFwd st;
  st.r = RDom(0, K, "r");
  const RDom& r = st.r;
  st.acc = Func("acc");
  st.acc(u, n) = s.use_bias ? b(u) : 0.0f;
  st.acc(u, n) += w(u, r) * in(r, n);
  st.out = Func("out");
  st.out(u, n) = st.acc(u, n);
  constrain_matrix_output(st.out, U);
  if (scheduled) schedule(st, s, *scheduled);
  std::vector<KernelInput> args{in, w};
  if (s.use_bias) args.push_back(b);
  return {Pipeline(st.out), args};
}

BuiltKernel backward_data(const KernelSpec& s, const schedules::Machine* scheduled) {
  const int K = s.in.c, U = s.units;
  ImageParam d_out = matrix_param("d_out", U);
  ImageParam w = fixed_param("w", {U, K});
  DenseBwdData st;
  st.r = RDom(0, U, "r");
  const RDom& r = st.r;
  st.w_t = Func("w_t");  // (k, u): k innermost, the dimension d_in is vectorised over
  st.w_t(k, u) = w(u, k);
  st.d_in = Func("d_in");
  st.d_in(k, n) = 0.0f;
  st.d_in(k, n) += st.w_t(k, r) * d_out(r, n);
  constrain_matrix_output(st.d_in, K);
  if (scheduled) schedule(st, s, *scheduled);
  return {Pipeline(st.d_in), {d_out, w}};
}

BuiltKernel backward_weights(const KernelSpec& s, const schedules::Machine* scheduled) {
  const int K = s.in.c, U = s.units;
  ImageParam in = matrix_param("in", K);
  ImageParam d_out = matrix_param("d_out", U);
  DenseBwdWeights st;
  st.r = RDom(0, in.dim(1).extent(), "r");
  const RDom& r = st.r;
  st.d_w = Func("d_w");
  st.d_w(u, k) = 0.0f;
  st.d_w(u, k) += d_out(u, r) * in(k, r);
  constrain_fixed_output(st.d_w, {U, K});
  std::vector<Func> outs{st.d_w};
  if (s.use_bias) {
    st.d_b = Func("d_b");
    st.d_b(u) = 0.0f;
    st.d_b(u) += d_out(u, r);
    constrain_fixed_output(st.d_b, {U});
    outs.push_back(st.d_b);
  }
  if (scheduled) schedule(st, s, *scheduled);
  return {Pipeline(outs), {in, d_out}};
}

}  // namespace

BuiltKernel build_dense(const KernelSpec& s, const schedules::Machine* scheduled) {
  switch (s.pass) {
    case Pass::fwd: return forward(s, scheduled);
    case Pass::bwd_data: return backward_data(s, scheduled);
    default: return backward_weights(s, scheduled);
  }
}

}  // namespace cnngen::codegen
