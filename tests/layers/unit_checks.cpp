#include "unit_checks.hpp"

#include <zoo.hpp>

namespace unit_tests {

using namespace harness;

KernelCheck::KernelCheck(cnngen::GraphView g, int node_index, int batch, KernelRunner run)
    : graph(g), index(node_index), n(batch), node(g.nodes[node_index]), rng(1234 + node_index * 7 + batch),
      in_s(node.in), out_s(node.out), fused(cnngen::fused_activation(g, node_index)),
      spec(cnngen::spec_of(node, cnngen::Pass::fwd)), runner(std::move(run)) {
  if (!runner)
    runner = [](const std::string& name, std::vector<void*> args) { harness::call(cnngen::generated::zoo(), name, std::move(args)); };
  in = random_vec(size_t(n) * in_s.size(), rng);
  d_out = random_vec(size_t(n) * out_s.size(), rng);
}

std::string KernelCheck::name(cnngen::Op op, cnngen::Pass pass, int nth) const {
  const cnngen::NodeKernels k = cnngen::kernels_of(graph, index);
  const cnngen::KernelSpec* s = k.find(op, pass, nth);
  EXPECT_NE(s, nullptr) << "layer " << node.name.view() << " lists no kernel " << cnngen::unit_names[int(op)] << "_"
                        << cnngen::pass_names[int(pass)];
  return s ? s->name() : "";
}

void KernelCheck::call(cnngen::Op op, cnngen::Pass pass, std::vector<void*> args, int nth) const {
  runner(name(op, pass, nth), std::move(args));
}

namespace {

double central_difference(const std::function<Vec(const Vec&)>& f, Vec x, size_t i, const Vec& g, double h) {
  const float x0 = x[i];
  const auto objective = [&](float v) {
    x[i] = v;
    const Vec y = f(x);
    double s = 0;
    for (size_t k = 0; k < y.size(); ++k) s += double(g[k]) * y[k];
    return s;
  };
  const float hi = x0 + float(h), lo = x0 - float(h);  // divide by the step float really took
  return (objective(hi) - objective(lo)) / (double(hi) - double(lo));
}

}  // namespace

void expect_matches_differences(const std::string& what, const std::function<Vec(const Vec&)>& f, const Vec& x,
                                const Vec& g, const Vec& analytic, std::mt19937& rng, double h) {
  ASSERT_EQ(analytic.size(), x.size()) << what;
  double scale = 1e-3;
  for (float a : analytic) scale = std::max(scale, double(std::abs(a)));
  for (int t = 0; t < 4; ++t) {
    const size_t i = rng() % x.size();
    const double fd = central_difference(f, x, i, g, h);
    EXPECT_NEAR(fd, analytic[i], 2e-3 * scale + 2e-3 * std::abs(fd)) << what << " at index " << i;
  }
}

void adjoint_of_weights_layer(AdjointCheck& c, cnngen::Op op) {
  const cnngen::Node& node = c.node;
  Buffer in = c.bound(0), w = c.bound(1), d_in = shaped_like(in), d_w = shaped_like(w), d_b(node.units);
  harness::call(c.table, c.name(op, cnngen::Pass::bwd_data), {c.d_out.raw_buffer(), w.raw_buffer(), d_in.raw_buffer()});
  std::vector<void*> args{in.raw_buffer(), c.d_out.raw_buffer(), d_w.raw_buffer()};
  if (node.use_bias) args.push_back(d_b.raw_buffer());
  harness::call(c.table, c.name(op, cnngen::Pass::bwd_weights), args);
  EXPECT_CLOSE(vec(d_in), c.oracle(0), "d_in");
  EXPECT_CLOSE(vec(d_w), c.oracle(1), "d_w");
  if (node.use_bias) {
    EXPECT_CLOSE(vec(d_b), c.oracle(2), "d_b");
  }
}

Vec ReferenceNet::param(const cnngen::Node& node, const char* what) const {
  const std::string name = std::string(node.name.view()) + "/" + what;
  for (const cnngen::Parameter& p : net.parameters())
    if (p.name == name) return Vec(p.value.begin(), p.value.end());
  return {};
}

}  // namespace unit_tests
