// BatchNormalization's kernels: training forward (with its statistics), inference forward, backward,
// each with the activation fused into it, against the naive reference and finite differences.
// No propagate_adjoints check: its derivative graph over-reads the batch dimension, and the batch
// extent is data to it (it divides by N), so no margin of zeros works.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

void check_batch_norm(KernelCheck& t) {
  const int c = t.in_s.c, n = t.n;
  const Vec x = random_vec(t.in.size(), t.rng, -1.5f, 2.5f);
  const Vec gamma = random_vec(c, t.rng, 0.5f, 1.5f), beta = random_vec(c, t.rng);
  float eps = t.node.settings[cnngen::batch_norm::epsilon];
  const auto train_fwd = [&](const Vec& xv, Vec* mean, Vec* var) {
    Buffer bi = buffer(xv, image_dims(t.in_s, n)), bg = buffer(gamma, {c}), bb = buffer(beta, {c});
    Buffer bo(image_dims(t.in_s, n)), bm(c), bv(c);
    t.call(Op::batch_norm, Pass::train_fwd,
           {bi.raw_buffer(), bg.raw_buffer(), bb.raw_buffer(), &eps, bo.raw_buffer(), bm.raw_buffer(), bv.raw_buffer()});
    if (mean) *mean = vec(bm), *var = vec(bv);
    return vec(bo);
  };
  Vec mean, var, rout, rmean, rvar;
  const Vec out = train_fwd(x, &mean, &var);
  ref::bn_train(t.spec, x, gamma, beta, eps, n, rout, rmean, rvar);
  EXPECT_CLOSE(out, ref::act(t.fused, rout, c), "train forward");
  EXPECT_CLOSE(mean, rmean, "batch mean");
  EXPECT_CLOSE(var, rvar, "batch variance");

  const Vec mm = random_vec(c, t.rng), mv = random_vec(c, t.rng, 0.5f, 2.0f);
  Buffer bi = buffer(x, image_dims(t.in_s, n)), bg = buffer(gamma, {c}), bb = buffer(beta, {c});
  Buffer bmm = buffer(mm, {c}), bmv = buffer(mv, {c}), bo(image_dims(t.in_s, n));
  t.call(Op::batch_norm, Pass::infer_fwd,
         {bi.raw_buffer(), bg.raw_buffer(), bb.raw_buffer(), bmm.raw_buffer(), bmv.raw_buffer(), &eps, bo.raw_buffer()});
  EXPECT_CLOSE(vec(bo), ref::act(t.fused, ref::bn_infer(t.spec, x, gamma, beta, mm, mv, eps, n), c), "inference forward");

  Buffer bm = buffer(mean, {c}), bv = buffer(var, {c}), bd = buffer(t.d_out, image_dims(t.in_s, n));
  Buffer bdi(image_dims(t.in_s, n)), bdg(c), bdb(c);
  t.call(Op::batch_norm, Pass::bwd, {bi.raw_buffer(), bg.raw_buffer(), bm.raw_buffer(), bv.raw_buffer(), bd.raw_buffer(),
                                     &eps, bdi.raw_buffer(), bdg.raw_buffer(), bdb.raw_buffer()});
  Vec rdi, rdg, rdb;
  ref::bn_bwd(t.spec, x, gamma, mean, var, t.d_out, eps, n, rdi, rdg, rdb);
  EXPECT_CLOSE(vec(bdi), rdi, "backward input");
  EXPECT_CLOSE(vec(bdg), rdg, "backward gamma");
  EXPECT_CLOSE(vec(bdb), rdb, "backward beta");
  // Differences of the forward kernel, fused activation included, against the chain rule: the
  // activation's backward (the reference's), then the BatchNorm's (the kernel's). Not through a
  // relu, whose kink the steps cross (batch_norm_bwd is the same kernel there, checked above, and by
  // differences on the layers with no fused relu). One value per channel: the output is beta.
  if (t.in_s.size() * n > 1 && t.fused != cnngen::Act::relu) {
    Buffer bdp = buffer(ref::act_bwd(t.fused, out, t.d_out, c), image_dims(t.in_s, n)), bdc(image_dims(t.in_s, n));
    t.call(Op::batch_norm, Pass::bwd, {bi.raw_buffer(), bg.raw_buffer(), bm.raw_buffer(), bv.raw_buffer(),
                                       bdp.raw_buffer(), &eps, bdc.raw_buffer(), bdg.raw_buffer(), bdb.raw_buffer()});
    expect_matches_differences("d_in", [&](const Vec& xv) { return train_fwd(xv, nullptr, nullptr); }, x, t.d_out,
                               vec(bdc), t.rng);
  }
}

void reference_batch_norm(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  const cnngen::KernelSpec spec = cnngen::spec_of(node, Pass::fwd);
  const Vec gamma = r.param(node, "gamma"), beta = r.param(node, "beta"), &in = r.out[node.input()];
  if (r.training) {
    Vec mean, var;
    ref::bn_train(spec, in, gamma, beta, node.settings[cnngen::batch_norm::epsilon], r.n, r.out[i], mean, var);
  } else {
    r.out[i] = ref::bn_infer(spec, in, gamma, beta, r.param(node, "moving_mean"), r.param(node, "moving_variance"),
                             node.settings[cnngen::batch_norm::epsilon], r.n);
  }
}

bool adjoint_batch_norm(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
