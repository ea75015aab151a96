// Concatenate's kernels: each input's copy into its channels of the output, and its gradient cut
// back out, against a naive channel-axis join (written here) and finite differences.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

namespace {

// The channel-axis join of tensors of `channels` channels each (sample-major, channels innermost).
Vec joined(const std::vector<Vec>& parts, const std::vector<int>& channels) {
  int total = 0;
  for (int c : channels) total += c;
  const size_t pixels = parts[0].size() / channels[0];
  Vec out(pixels * total);
  for (size_t p = 0; p < pixels; ++p)
    for (size_t k = 0, offset = 0; k < parts.size(); offset += channels[k], ++k)
      for (int c = 0; c < channels[k]; ++c) out[p * total + offset + c] = parts[k][p * channels[k] + c];
  return out;
}

std::vector<int> dims(const cnngen::Shape& s, int n) {
  return s.rank == 3 ? image_dims(s, n) : std::vector<int>{s.c, n};
}

}  // namespace

void check_concatenate(KernelCheck& t) {
  const cnngen::Node& node = t.node;
  const int n = t.n;
  std::vector<Vec> parts;
  std::vector<int> channels;
  for (int k = 0; k < node.arity; ++k) {
    const cnngen::Shape s = t.graph.nodes[node.input(k)].out;
    parts.push_back(random_vec(size_t(n) * s.size(), t.rng));
    channels.push_back(s.c);
  }
  // The output written part by part through crops, as the run time does; a part's forward by itself.
  const auto forward_part = [&](int k, const Vec& x, Buffer& out) {
    const cnngen::Shape s = t.graph.nodes[node.input(k)].out;
    int offset = 0;
    for (int j = 0; j < k; ++j) offset += channels[j];
    Buffer in = buffer(x, dims(s, n)), slice = out.cropped(0, offset, s.c);
    t.call(Op::concatenate, Pass::fwd, {in.raw_buffer(), slice.raw_buffer()}, k);
  };
  Buffer out(dims(t.out_s, n));
  for (int k = 0; k < node.arity; ++k) forward_part(k, parts[k], out);
  EXPECT_CLOSE(vec(out), joined(parts, channels), "forward");

  for (int k = 0; k < node.arity; ++k) {
    const cnngen::Shape s = t.graph.nodes[node.input(k)].out;
    Buffer bd = buffer(t.d_out, dims(t.out_s, n)), bdi(dims(s, n));
    t.call(Op::concatenate, Pass::bwd, {bd.raw_buffer(), bdi.raw_buffer()}, k);
    std::vector<Vec> zeros;
    for (int j = 0; j < node.arity; ++j) zeros.push_back(Vec(parts[j].size(), 0.0f));
    // d_in_k: the output gradient at the channels input k fills (a join with the others zero, read back).
    Vec want(parts[k].size());
    const Vec ones_k = [&] { std::vector<Vec> z = zeros; z[k] = Vec(parts[k].size(), 1.0f); return joined(z, channels); }();
    for (size_t i = 0, j = 0; i < ones_k.size(); ++i)
      if (ones_k[i] != 0) want[j++] = t.d_out[i];
    EXPECT_CLOSE(vec(bdi), want, "backward of input " << k);
    const auto f = [&](const Vec& x) {
      Buffer o(dims(t.out_s, n));
      o.fill(0.0f);
      forward_part(k, x, o);
      return vec(o);
    };
    expect_matches_differences("d_in of input " + std::to_string(k), f, parts[k], t.d_out, vec(bdi), t.rng);
  }
}

void reference_concatenate(ReferenceNet& r, int i) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  std::vector<Vec> parts;
  std::vector<int> channels;
  for (int in : node.input_nodes()) parts.push_back(r.out[in]), channels.push_back(r.net.graph().nodes[in].out.c);
  r.out[i] = joined(parts, channels);
}

bool adjoint_concatenate(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
