// Activation's kernels (forward and backward of relu, sigmoid, tanh, softmax) against the naive
// reference and finite differences; none run for linear or for the head the loss applies.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

void check_activation_kernels(KernelCheck& t, cnngen::Act act, const Vec& act_in) {
  if (act == cnngen::Act::linear || cnngen::is_fused_head(t.graph, t.index)) return;  // the loss applies the head's
  const int c = act == cnngen::Act::softmax ? t.out_s.c : 0;
  const std::vector<int> dims = c ? std::vector<int>{c, static_cast<int>(act_in.size()) / c}
                                  : std::vector<int>{static_cast<int>(act_in.size())};
  const auto act_fwd = [&](const Vec& x) {
    Buffer bi = buffer(x, dims), bo(dims);
    t.call(Op::activation, Pass::fwd, {bi.raw_buffer(), bo.raw_buffer()});
    return vec(bo);
  };
  const Vec y = act_fwd(act_in);
  EXPECT_CLOSE(y, ref::act(act, act_in, t.out_s.c), "activation forward");
  Buffer by = buffer(y, dims), bd = buffer(t.d_out, dims), bdi(dims);
  t.call(Op::activation, Pass::bwd, {by.raw_buffer(), bd.raw_buffer(), bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), ref::act_bwd(act, y, t.d_out, t.out_s.c), "activation backward");
  if (act != cnngen::Act::relu)  // relu's kink makes differences meaningless at points near 0
    expect_matches_differences("activation d_in", act_fwd, act_in, t.d_out, vec(bdi), t.rng);
}

void check_activation(KernelCheck& t) { check_activation_kernels(t, t.node.act, t.in); }

void reference_activation(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  const Vec& in = r.out[node.input()];
  // A head's softmax or sigmoid is applied by the loss: the head's output is its logits.
  r.out[i] = cnngen::is_fused_head(r.net.graph(), i) ? in : ref::act(node.act, in, node.in.c);
}

bool adjoint_activation(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
