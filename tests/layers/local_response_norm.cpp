// LocalResponseNormalization's kernels against a naive forward and a naive backward that scatters
// each output's derivative to its window (the kernel gathers), both in double, and finite
// differences of the forward kernel; the layer's node in the whole-network reference.
#include <cmath>

#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

namespace {

struct Lrn {
  int r;
  double bias, alpha, beta;
  explicit Lrn(const cnngen::Node& n)
      : r(n.units),
        bias(n.settings[cnngen::local_response_norm::bias]),
        alpha(n.settings[cnngen::local_response_norm::alpha]),
        beta(n.settings[cnngen::local_response_norm::beta]) {}
};

// s at value i (channel c of its pixel, whose channels start at i - c).
double window_scale(const Lrn& p, const Vec& in, size_t i, int c, int C) {
  double sq = 0;
  for (int j = std::max(0, c - p.r); j <= std::min(C - 1, c + p.r); ++j) sq += double(in[i - c + j]) * in[i - c + j];
  return p.bias + p.alpha * sq;
}

Vec lrn(const Lrn& p, const Vec& in, int C) {
  Vec out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const int c = static_cast<int>(i % C);
    out[i] = static_cast<float>(in[i] * std::pow(window_scale(p, in, i, c, C), -p.beta));
  }
  return out;
}

// d out(c) / d in(j) = [c == j] s(c)^-beta - 2 alpha beta in(c) in(j) s(c)^(-beta - 1), for j in c's window.
Vec lrn_bwd(const Lrn& p, const Vec& in, const Vec& d_out, int C) {
  std::vector<double> d_in(in.size(), 0.0);
  for (size_t i = 0; i < in.size(); ++i) {
    const int c = static_cast<int>(i % C);
    const double s = window_scale(p, in, i, c, C), g = d_out[i];
    d_in[i] += g * std::pow(s, -p.beta);
    for (int j = std::max(0, c - p.r); j <= std::min(C - 1, c + p.r); ++j)
      d_in[i - c + j] -= g * 2 * p.alpha * p.beta * in[i] * in[i - c + j] * std::pow(s, -p.beta - 1);
  }
  return Vec(d_in.begin(), d_in.end());
}

}  // namespace

void check_local_response_norm(KernelCheck& t) {
  const Lrn p(t.node);
  float bias = p.bias, alpha = p.alpha, beta = p.beta;
  const std::vector<int> dims = image_dims(t.in_s, t.n);
  const auto fwd = [&](const Vec& x) {
    Buffer bi = buffer(x, dims), bo(dims);
    t.call(Op::local_response_norm, Pass::fwd, {bi.raw_buffer(), &bias, &alpha, &beta, bo.raw_buffer()});
    return vec(bo);
  };
  EXPECT_CLOSE(fwd(t.in), lrn(p, t.in, t.in_s.c), "forward");
  Buffer bi = buffer(t.in, dims), bd = buffer(t.d_out, dims), bdi(dims);
  t.call(Op::local_response_norm, Pass::bwd, {bi.raw_buffer(), bd.raw_buffer(), &bias, &alpha, &beta, bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), lrn_bwd(p, t.in, t.d_out, t.in_s.c), "backward");
  expect_matches_differences("d_in", fwd, t.in, t.d_out, vec(bdi), t.rng, 1e-3);
}

void reference_local_response_norm(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = lrn(Lrn(node), r.out[node.input()], node.in.c);
}

// Its bias, alpha and beta are run-time arguments, which the adjoint suite's bound forward lacks;
// the naive scatter above is the second oracle.
bool adjoint_local_response_norm(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
