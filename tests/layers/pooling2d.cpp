// MaxPooling2D's and AveragePooling2D's kernels against the naive reference and finite differences;
// the average pool's backward also against propagate_adjoints (which cannot differentiate an
// inline maximum).
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

namespace {

void check_pool(KernelCheck& t, Op op) {
  const bool is_max = op == Op::max_pool2d;
  const int n = t.n;
  const auto fwd = [&](const Vec& x) {
    Buffer bi = buffer(x, image_dims(t.in_s, n)), bo(image_dims(t.out_s, n));
    t.call(op, Pass::fwd, {bi.raw_buffer(), bo.raw_buffer()});
    return vec(bo);
  };
  EXPECT_CLOSE(fwd(t.in), is_max ? ref::maxpool(t.spec, t.in, n) : ref::avgpool(t.spec, t.in, n), "forward");
  Buffer bi = buffer(t.in, image_dims(t.in_s, n)), bd = buffer(t.d_out, image_dims(t.out_s, n)), bdi(image_dims(t.in_s, n));
  if (is_max) t.call(op, Pass::bwd, {bi.raw_buffer(), bd.raw_buffer(), bdi.raw_buffer()});
  else t.call(op, Pass::bwd, {bd.raw_buffer(), bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), is_max ? ref::maxpool_bwd(t.spec, t.in, t.d_out, n) : ref::avgpool_bwd(t.spec, t.d_out, n), "backward");
  expect_matches_differences("d_in", fwd, t.in, t.d_out, vec(bdi), t.rng, is_max ? 1e-4 : 1e-2);
}

}  // namespace

void check_max_pool2d(KernelCheck& t) { check_pool(t, Op::max_pool2d); }
void check_avg_pool2d(KernelCheck& t) { check_pool(t, Op::avg_pool2d); }

void reference_max_pool2d(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = ref::maxpool(cnngen::spec_of(node, Pass::fwd), r.out[node.input()], r.n);
}

void reference_avg_pool2d(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = ref::avgpool(cnngen::spec_of(node, Pass::fwd), r.out[node.input()], r.n);
}

bool adjoint_max_pool2d(const cnngen::Node&, AdjointCheck*) { return false; }

bool adjoint_avg_pool2d(const cnngen::Node& node, AdjointCheck* c) {
  // Halide 14's propagate_adjoints fails on strided 'valid' windows: it segfaults (a memcpy inside
  // libHalide) where they do not overlap (ResNet50's final 2x2 average; a 2x2 pool of stride 2 on
  // 8x6) and is wrong where they do (3x3 of stride 2 on 7x5: relative error 1.5, while the kernel
  // matches the naive reference and differences of its forward). check_avg_pool2d checks those.
  const bool padded = node.pad_top + node.pad_bottom + node.pad_left + node.pad_right > 0;
  if (node.out.h * node.out.w == 1 || ((node.strides.h > 1 || node.strides.w > 1) && !padded)) return false;
  if (!c) return true;
  Buffer d_in = shaped_like(c->bound(0));
  harness::call(c->table, c->name(Op::avg_pool2d, Pass::bwd), {c->d_out.raw_buffer(), d_in.raw_buffer()});
  EXPECT_CLOSE(vec(d_in), c->oracle(0), "d_in");
  return true;
}

}  // namespace unit_tests
