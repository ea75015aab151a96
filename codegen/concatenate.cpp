// Concatenate, one input's part of it. Shapes: in_k (H, W, c_k) at channel offset o of out (H, W, C).
//   fwd: out(o + c, x, y, n) = in_k(c, x, y, n), written through a crop of out to its channels
//        [o, o + c_k): the output buffer is declared with that channel range and out's strides
//   bwd: d_in_k(c, x, y, n) = d_out(o + c, x, y, n)
// Flat tensors (rank 1) the same with (c, n).
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

namespace {

// The dims of a tensor of shape s as Halide sees it: (c, x, y, n) or (c, n).
std::vector<Var> dims_of(const Shape& s) {
  if (s.rank == 3) return {Var("c"), Var("x"), Var("y"), Var("n")};
  return {Var("c"), Var("n")};
}

std::vector<Expr> shifted(std::vector<Var> at, int offset) {
  std::vector<Expr> e(at.begin(), at.end());
  e[0] = e[0] + offset;
  return e;
}

}  // namespace

BuiltKernel build_concatenate(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  const int offset = k.units;
  const std::vector<Var> at = dims_of(s);
  if (k.pass == Pass::fwd) {
    ImageParam in = s.rank == 3 ? image_param("in", s) : matrix_param("in", s.c);
    Func out("out");
    out(at) = in(shifted(at, -offset));
    // The crop of out: channels [offset, offset + c_k) at out's strides.
    OutputImageParam b = out.output_buffer();
    b.dim(0).set_bounds(offset, s.c).set_stride(1);
    if (s.rank == 3) {
      b.dim(1).set_bounds(0, o.w).set_stride(o.c);
      b.dim(2).set_bounds(0, o.h).set_stride(o.c * o.w);
      b.dim(3).set_min(0).set_stride(o.c * o.w * o.h);
    } else {
      b.dim(1).set_min(0).set_stride(o.c);
    }
    if (scheduled) schedule_rows(out, s.rank == 3 ? s.w : 1, s.c, *scheduled);
    return {Pipeline(out), {in}};
  }
  ImageParam d_out = o.rank == 3 ? image_param("d_out", o) : matrix_param("d_out", o.c);
  Func d_in("d_in");
  d_in(at) = d_out(shifted(at, offset));
  if (s.rank == 3) constrain_image_output(d_in, s);
  else constrain_matrix_output(d_in, s.c);
  if (scheduled) schedule_rows(d_in, s.rank == 3 ? s.w : 1, s.c, *scheduled);
  return {Pipeline(d_in), {d_out}};
}

}  // namespace cnngen::codegen
