// Dense's kernels (forward, backward data and weights, then its activation's) against the naive
// reference, finite differences and propagate_adjoints.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

void check_dense(KernelCheck& t) {
  const int K = t.in_s.c, U = t.node.units, n = t.n;
  const Vec w = random_vec(size_t(K) * U, t.rng, -0.3f, 0.3f), b = t.node.use_bias ? random_vec(U, t.rng) : Vec{};
  const auto fwd_with = [&](const Vec& x, const Vec& wv) {
    Buffer bi = buffer(x, {K, n}), bw = buffer(wv, {U, K}), bb = t.node.use_bias ? buffer(b, {U}) : Buffer(), bo(U, n);
    std::vector<void*> args{bi.raw_buffer(), bw.raw_buffer()};
    if (t.node.use_bias) args.push_back(bb.raw_buffer());
    args.push_back(bo.raw_buffer());
    t.call(Op::dense, Pass::fwd, args);
    return vec(bo);
  };
  const Vec out = fwd_with(t.in, w);
  EXPECT_CLOSE(out, ref::dense(t.spec, t.in, w, b, n), "forward");
  Buffer bd = buffer(t.d_out, {U, n}), bw = buffer(w, {U, K}), bdi(K, n);
  t.call(Op::dense, Pass::bwd_data, {bd.raw_buffer(), bw.raw_buffer(), bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), ref::dense_bwd_data(t.spec, t.d_out, w, n), "backward data");
  Buffer bi = buffer(t.in, {K, n}), bdw(U, K), bdb(U);
  std::vector<void*> args{bi.raw_buffer(), bd.raw_buffer(), bdw.raw_buffer()};
  if (t.node.use_bias) args.push_back(bdb.raw_buffer());
  t.call(Op::dense, Pass::bwd_weights, args);
  Vec rdw, rdb;
  ref::dense_bwd_weights(t.spec, t.in, t.d_out, n, rdw, rdb);
  EXPECT_CLOSE(vec(bdw), rdw, "backward weights");
  if (t.node.use_bias) {
    EXPECT_CLOSE(vec(bdb), rdb, "backward bias");
  }
  expect_matches_differences("d_in", [&](const Vec& x) { return fwd_with(x, w); }, t.in, t.d_out, vec(bdi), t.rng);
  expect_matches_differences("d_w", [&](const Vec& wv) { return fwd_with(t.in, wv); }, w, t.d_out, vec(bdw), t.rng);
  check_activation_kernels(t, t.node.act, out);
}

void reference_dense(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = ref::dense(cnngen::spec_of(node, Pass::fwd), r.out[node.input()], r.param(node, "kernel"), r.param(node, "bias"), r.n);
  if (node.act != cnngen::Act::linear && !cnngen::is_fused_head(r.net.graph(), i)) r.out[i] = ref::act(node.act, r.out[i], node.units);
}

bool adjoint_dense(const cnngen::Node&, AdjointCheck* c) { return !c || (adjoint_of_weights_layer(*c, Op::dense), true); }

}  // namespace unit_tests
