// Add: out = a + b over flat tensors, or act(a + b) with a fused activation (fusion.hpp's
// fused_activation). Backward is the identity to both inputs, done by the run time; the fused
// activation's backward is its own layer's.
#include "kernel.hpp"
#include "stages.hpp"

namespace cnngen::codegen {

using namespace Halide;

BuiltKernel build_add(const KernelSpec& k, const schedules::Machine* scheduled) {
  ImageParam a = flat_param("a"), b = flat_param("b");
  Func out("out");
  Var i("i");
  out(i) = activate(k.act, a(i) + b(i));
  constrain_flat_output(out);
  if (scheduled) schedule_elementwise(out);
  return {Pipeline(out), {a, b}};
}

}  // namespace cnngen::codegen
