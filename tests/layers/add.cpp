// Add's kernel (with a fused activation) against the sum; its backward is the run time's identity,
// which the whole-network tests check.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

void check_add(KernelCheck& t) {
  const Vec a = random_vec(t.in.size(), t.rng), b = random_vec(t.in.size(), t.rng);
  const int size = static_cast<int>(a.size());
  Buffer ba = buffer(a, {size}), bb = buffer(b, {size}), bo(size);
  t.call(Op::add, Pass::fwd, {ba.raw_buffer(), bb.raw_buffer(), bo.raw_buffer()});
  Vec want(a.size());
  for (size_t i = 0; i < a.size(); ++i) want[i] = a[i] + b[i];
  EXPECT_CLOSE(vec(bo), ref::act(t.fused, want, 0), "forward");
}

void reference_add(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = r.out[node.input(0)];
  for (size_t k = 0; k < r.out[i].size(); ++k) r.out[i][k] += r.out[node.input(1)][k];
}

bool adjoint_add(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
