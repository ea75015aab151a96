// Conv2D's kernels: the three passes against the naive reference and finite differences, the
// inference kernel with its fused BatchNorm (and Add, activation), and the backward against
// propagate_adjoints.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

void check_conv2d(KernelCheck& t) {
  const cnngen::Node& node = t.node;
  const int n = t.n;
  const std::vector<int> wdims{node.units, t.in_s.c, node.kernel.w, node.kernel.h};
  const Vec w = random_vec(size_t(node.kernel.h) * node.kernel.w * t.in_s.c * node.units, t.rng, -0.3f, 0.3f);
  const Vec b = node.use_bias ? random_vec(node.units, t.rng) : Vec{};
  const auto fwd_with = [&](const Vec& x, const Vec& wv) {
    Buffer bi = buffer(x, image_dims(t.in_s, n)), bw = buffer(wv, wdims), bo(image_dims(t.out_s, n));
    Buffer bb = node.use_bias ? buffer(b, {node.units}) : Buffer();
    std::vector<void*> args{bi.raw_buffer(), bw.raw_buffer()};
    if (node.use_bias) args.push_back(bb.raw_buffer());
    args.push_back(bo.raw_buffer());
    t.call(Op::conv2d, Pass::fwd, args);
    return vec(bo);
  };
  const Vec out = fwd_with(t.in, w);
  EXPECT_CLOSE(out, ref::act(node.act, ref::conv2d(t.spec, t.in, w, b, n), t.out_s.c), "forward");

  // With an activation=, the backward kernels take the gradient before it, from the Activation
  // unit's backward kernel (checked here against the reference's).
  Vec d_pre = t.d_out;
  if (node.act != cnngen::Act::linear) {
    const int size = static_cast<int>(out.size());
    Buffer bo = buffer(out, {size}), bg = buffer(t.d_out, {size}), bp(size);
    t.call(Op::activation, Pass::bwd, {bo.raw_buffer(), bg.raw_buffer(), bp.raw_buffer()});
    d_pre = ref::act_bwd(node.act, out, t.d_out, t.out_s.c);
    EXPECT_CLOSE(vec(bp), d_pre, "activation backward");
  }
  Buffer bd = buffer(d_pre, image_dims(t.out_s, n)), bw = buffer(w, wdims), bdi(image_dims(t.in_s, n));
  t.call(Op::conv2d, Pass::bwd_data, {bd.raw_buffer(), bw.raw_buffer(), bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), ref::conv2d_bwd_data(t.spec, d_pre, w, n), "backward data");

  Buffer bi = buffer(t.in, image_dims(t.in_s, n)), bdw(wdims), bdb(node.units);
  std::vector<void*> args{bi.raw_buffer(), bd.raw_buffer(), bdw.raw_buffer()};
  if (node.use_bias) args.push_back(bdb.raw_buffer());
  t.call(Op::conv2d, Pass::bwd_weights, args);
  Vec rdw, rdb;
  ref::conv2d_bwd_weights(t.spec, t.in, d_pre, n, rdw, rdb);
  EXPECT_CLOSE(vec(bdw), rdw, "backward weights");
  if (node.use_bias) {
    EXPECT_CLOSE(vec(bdb), rdb, "backward bias");
  }

  // Differences through the activation too; not through a relu, whose kink the steps can cross.
  if (node.act != cnngen::Act::relu) {
    expect_matches_differences("d_in", [&](const Vec& x) { return fwd_with(x, w); }, t.in, t.d_out, vec(bdi), t.rng);
    expect_matches_differences("d_w", [&](const Vec& wv) { return fwd_with(t.in, wv); }, w, t.d_out, vec(bdw), t.rng);
  }

  // The inference kernel with the BatchNorm (and Add) that fusion.hpp's inference_fusion gives it:
  // the reference convolution (no bias: the run time folds it into the shift), then per channel
  // scale and shift, the residual, the activation.
  const cnngen::InferenceFusion fusion = cnngen::inference_fusion(t.graph, t.index);
  if (fusion.batch_norm < 0) return;
  const int c = t.out_s.c;
  const Vec scale = random_vec(c, t.rng, 0.5f, 1.5f), shift = random_vec(c, t.rng);
  const Vec residual = fusion.add >= 0 ? random_vec(size_t(n) * t.out_s.size(), t.rng) : Vec{};
  Buffer bs = buffer(scale, {c}), bsh = buffer(shift, {c}), br, bo(image_dims(t.out_s, n));
  Buffer blocked(static_cast<int>(w.size()));  // the weights as the inference kernel reads them
  t.call(Op::conv2d, Pass::block_weights, {bw.raw_buffer(), blocked.raw_buffer()});
  std::vector<void*> fargs{bi.raw_buffer(), blocked.raw_buffer(), bs.raw_buffer(), bsh.raw_buffer()};
  if (fusion.add >= 0) br = buffer(residual, image_dims(t.out_s, n)), fargs.push_back(br.raw_buffer());
  fargs.push_back(bo.raw_buffer());
  t.call(Op::conv2d, Pass::bn_infer_fwd, fargs);
  Vec want = ref::conv2d(t.spec, t.in, w, {}, n);
  for (size_t e = 0; e < want.size(); ++e)
    want[e] = want[e] * scale[e % c] + shift[e % c] + (fusion.add >= 0 ? residual[e] : 0.0f);
  EXPECT_CLOSE(vec(bo), ref::act(fusion.act, want, c), "inference forward with BatchNorm" << (fusion.add >= 0 ? " and Add" : ""));
}

void reference_conv2d(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = ref::act(node.act, ref::conv2d(cnngen::spec_of(node, Pass::fwd), r.out[node.input()], r.param(node, "kernel"), r.param(node, "bias"), r.n), node.units);
}

bool adjoint_conv2d(const cnngen::Node&, AdjointCheck* c) { return !c || (adjoint_of_weights_layer(*c, Op::conv2d), true); }

}  // namespace unit_tests
