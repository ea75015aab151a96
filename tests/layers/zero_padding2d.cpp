// ZeroPadding2D's kernels against the naive reference, finite differences and propagate_adjoints.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

void check_zero_padding2d(KernelCheck& t) {
  const int n = t.n;
  const auto fwd = [&](const Vec& x) {
    Buffer bi = buffer(x, image_dims(t.in_s, n)), bo(image_dims(t.out_s, n));
    t.call(Op::zero_padding2d, Pass::fwd, {bi.raw_buffer(), bo.raw_buffer()});
    return vec(bo);
  };
  EXPECT_CLOSE(fwd(t.in), ref::zeropad(t.spec, t.in, n), "forward");
  Buffer bd = buffer(t.d_out, image_dims(t.out_s, n)), bdi(image_dims(t.in_s, n));
  t.call(Op::zero_padding2d, Pass::bwd, {bd.raw_buffer(), bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), ref::zeropad_bwd(t.spec, t.d_out, n), "backward");
  expect_matches_differences("d_in", fwd, t.in, t.d_out, vec(bdi), t.rng);
}

void reference_zero_padding2d(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = ref::zeropad(cnngen::spec_of(node, Pass::fwd), r.out[node.input()], r.n);
}

bool adjoint_zero_padding2d(const cnngen::Node&, AdjointCheck* c) {
  if (!c) return true;
  Buffer d_in = shaped_like(c->bound(0));
  harness::call(c->table, c->name(Op::zero_padding2d, Pass::bwd), {c->d_out.raw_buffer(), d_in.raw_buffer()});
  EXPECT_CLOSE(vec(d_in), c->oracle(0), "d_in");
  return true;
}

}  // namespace unit_tests
