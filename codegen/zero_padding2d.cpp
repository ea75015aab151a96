// ZeroPadding2D: out(c, x, y, n) = in(c, x - pl, y - pt, n) inside, 0 outside; backward crops.
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

BuiltKernel build_zero_padding2d(const KernelSpec& k, const schedules::Machine* scheduled) {
  const Shape s = k.in, o = k.out;
  Var c("c"), x("x"), y("y"), n("n");
  if (k.pass == Pass::fwd) {
    ImageParam in = image_param("in", s);
    Func padded = BoundaryConditions::constant_exterior(in, 0.0f, {{0, s.c}, {0, s.w}, {0, s.h}});
    Func out("out");
    out(c, x, y, n) = padded(c, x - k.pad_left, y - k.pad_top, n);
    constrain_image_output(out, o);
    if (scheduled) schedule_rows(out, o.w, o.c, *scheduled);
    return {Pipeline(out), {in}};
  }
  ImageParam d_out = image_param("d_out", o);
  Func d_in("d_in");
  d_in(c, x, y, n) = d_out(c, x + k.pad_left, y + k.pad_top, n);
  constrain_image_output(d_in, s);
  if (scheduled) schedule_rows(d_in, s.w, s.c, *scheduled);
  return {Pipeline(d_in), {d_out}};
}

}  // namespace cnngen::codegen
