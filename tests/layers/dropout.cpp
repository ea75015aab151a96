// Dropout's kernels against the mask the unit defines (dropout::hash, computed here in plain C++):
// which values are kept, their scaling, the backward through the same mask, finite differences;
// and that the mask drops about `rate` of the values, differs between samples and repeats for a seed.
#include <cnngen/layers/dropout.hpp>

#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

using Seeds = Halide::Runtime::Buffer<uint32_t>;

Vec masked(const Vec& v, const std::vector<uint32_t>& seeds, size_t sample, float rate) {
  Vec out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const uint32_t h = cnngen::dropout::hash(seeds[i / sample], static_cast<uint32_t>(i % sample));
    out[i] = (h >> 8) >= cnngen::dropout::threshold(rate) ? static_cast<float>(double(v[i]) / (1.0 - rate)) : 0.0f;
  }
  return out;
}

void check_dropout(KernelCheck& t) {
  const int n = t.n, size = static_cast<int>(t.in.size());
  const size_t sample = t.in_s.size();
  std::vector<uint32_t> seeds(n);
  for (int i = 0; i < n; ++i) seeds[i] = static_cast<uint32_t>(t.rng());
  float rate = t.node.settings[cnngen::dropout::rate];
  const auto run = [&](Pass pass, const Vec& v, const std::vector<uint32_t>& s) {
    Buffer bi = buffer(v, {size}), bo(size);
    Seeds bs(const_cast<uint32_t*>(s.data()), n);
    t.call(Op::dropout, pass, {bi.raw_buffer(), bs.raw_buffer(), &rate, bo.raw_buffer()});
    return vec(bo);
  };
  const Vec out = run(Pass::train_fwd, t.in, seeds);
  EXPECT_CLOSE(out, masked(t.in, seeds, sample, rate), "forward");
  EXPECT_CLOSE(run(Pass::bwd, t.d_out, seeds), masked(t.d_out, seeds, sample, rate), "backward");
  expect_matches_differences("d_in", [&](const Vec& x) { return run(Pass::train_fwd, x, seeds); }, t.in, t.d_out,
                             run(Pass::bwd, t.d_out, seeds), t.rng);
  EXPECT_EQ(run(Pass::train_fwd, t.in, seeds), out) << "the same seeds draw the same mask";

}

void reference_dropout(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  const Vec& in = r.out[node.input()];
  r.out[i] = r.training ? masked(in, r.net.upcoming_sample_seeds(r.n), node.in.size(), node.settings[cnngen::dropout::rate]) : in;
}

bool adjoint_dropout(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
