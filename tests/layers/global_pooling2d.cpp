// GlobalAveragePooling2D and GlobalMaxPooling2D: the pooling kernels their units run, against a naive
// per-channel mean or maximum over the image (written here, sharing nothing with the pooling
// reference) and finite differences.
#include "unit_checks.hpp"

namespace unit_tests {

using namespace harness;
using cnngen::Op;
using cnngen::Pass;

namespace {

// out[b][c]: the mean, or the maximum, of channel c of image b; the gradient goes to every pixel
// equally, or to the first maximum in row-major order.
Vec global_pool(bool is_max, const cnngen::Shape& s, const Vec& in, int n) {
  Vec out(size_t(n) * s.c);
  for (int b = 0; b < n; ++b)
    for (int c = 0; c < s.c; ++c) {
      double acc = is_max ? -1e300 : 0;
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) {
          const double v = in[ref::at(s, b, y, x, c)];
          acc = is_max ? std::max(acc, v) : acc + v;
        }
      out[size_t(b) * s.c + c] = static_cast<float>(is_max ? acc : acc / (s.h * s.w));
    }
  return out;
}

Vec global_pool_bwd(bool is_max, const cnngen::Shape& s, const Vec& in, const Vec& d_out, int n) {
  Vec d_in(size_t(n) * s.size(), 0.0f);
  for (int b = 0; b < n; ++b)
    for (int c = 0; c < s.c; ++c) {
      const float g = d_out[size_t(b) * s.c + c];
      size_t best = ref::at(s, b, 0, 0, c);
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) {
          const size_t i = ref::at(s, b, y, x, c);
          if (!is_max) d_in[i] = g / float(s.h * s.w);
          else if (in[i] > in[best]) best = i;
        }
      if (is_max) d_in[best] = g;
    }
  return d_in;
}

void check_global_pool(KernelCheck& t, Op pool) {
  const bool is_max = pool == Op::max_pool2d;
  const int n = t.n, c = t.in_s.c;
  const std::vector<int> out_dims{c, 1, 1, n};
  const auto fwd = [&](const Vec& x) {
    Buffer bi = buffer(x, image_dims(t.in_s, n)), bo(out_dims);
    t.call(pool, Pass::fwd, {bi.raw_buffer(), bo.raw_buffer()});
    return vec(bo);
  };
  EXPECT_CLOSE(fwd(t.in), global_pool(is_max, t.in_s, t.in, n), "forward");
  Buffer bi = buffer(t.in, image_dims(t.in_s, n)), bd = buffer(t.d_out, out_dims), bdi(image_dims(t.in_s, n));
  if (is_max) t.call(pool, Pass::bwd, {bi.raw_buffer(), bd.raw_buffer(), bdi.raw_buffer()});
  else t.call(pool, Pass::bwd, {bd.raw_buffer(), bdi.raw_buffer()});
  EXPECT_CLOSE(vec(bdi), global_pool_bwd(is_max, t.in_s, t.in, t.d_out, n), "backward");
  expect_matches_differences("d_in", fwd, t.in, t.d_out, vec(bdi), t.rng, is_max ? 1e-4 : 1e-2);
}

void reference_global_pool(ReferenceNet& r, int i, bool is_max) {
  const cnngen::Node& node = r.net.graph().nodes[i];
  r.out[i] = global_pool(is_max, node.in, r.out[node.input()], r.n);
}

}  // namespace

void check_global_avg_pool2d(KernelCheck& t) { check_global_pool(t, Op::avg_pool2d); }
void check_global_max_pool2d(KernelCheck& t) { check_global_pool(t, Op::max_pool2d); }
void reference_global_avg_pool2d(ReferenceNet& r, int i) { reference_global_pool(r, i, false); }
void reference_global_max_pool2d(ReferenceNet& r, int i) { reference_global_pool(r, i, true); }
bool adjoint_global_avg_pool2d(const cnngen::Node&, AdjointCheck*) { return false; }  // avg_pool2d's check covers the kernel
bool adjoint_global_max_pool2d(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
