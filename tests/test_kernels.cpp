// Every generated kernel of every node of the zoo models (tests/zoo.hpp, plus HappyModel) against the
// naive reference (tests/reference.cpp), at batch 1 and 3 (and 16 where a convolution tiles across
// the batch or a BatchNorm splits it), to a relative error of 1e-4; and each
// backward kernel against central finite differences of its own forward kernel.
#include <gtest/gtest.h>

#include <functional>
#include <zoo.hpp>

#include "../schedules/tiles.hpp"
#include "harness.hpp"
#include "reference.hpp"
#include "zoo.hpp"

namespace {

using namespace harness;
using cnngen::Act;
using cnngen::Kernel;
using cnngen::KernelSpec;
using cnngen::Node;
using cnngen::Op;
using cnngen::Shape;

const cnngen::KernelTable& table() { return cnngen::generated::zoo(); }

struct Case {
  cnngen::GraphView graph;
  int node;
  int n;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (cnngen::GraphView g : {cnngen::GraphView(zoo::odd), cnngen::GraphView(zoo::padded), cnngen::GraphView(zoo::activations),
                              cnngen::GraphView(zoo::residual), cnngen::GraphView(zoo::blocks), cnngen::GraphView(zoo::stage2),
                              cnngen::GraphView(zoo::stage45), cnngen::GraphView(happy_model::model)})
    for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i) {
      const Node& node = g.nodes[i];
      if (node.op == Op::flatten) continue;
      for (int n : {1, 3}) cases.push_back({g, i, n});
      // Small images tile across up to 14 images (schedules/tiles.hpp), BatchNorm reduces chunks of
      // 8 images in parallel (schedules/batch_norm.cpp): 16 has a partial last tile, and two chunks.
      const bool small_input = node.in.rank == 3 && cnngen::schedules::batch_tiled(node.in.w, node.in.h);
      if ((node.op == Op::conv2d && (small_input || cnngen::schedules::batch_tiled(node.out.w, node.out.h))) ||
          node.op == Op::batch_norm)
        cases.push_back({g, i, 16});
    }
  return cases;
}

// d/dx_i of sum(g * f(x)), by central differences, in double from float outputs.
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

// Checks `analytic` (the generated backward) at a few seeded indices of x against central differences.
// h: small enough not to cross a kink (a max pool's argmax), large enough for float outputs.
void expect_matches_differences(const std::string& what, const std::function<Vec(const Vec&)>& f, const Vec& x,
                                const Vec& g, const Vec& analytic, std::mt19937& rng, double h = 1e-2) {
  ASSERT_EQ(analytic.size(), x.size()) << what;
  double scale = 1e-3;
  for (float a : analytic) scale = std::max(scale, double(std::abs(a)));
  for (int t = 0; t < 4; ++t) {
    const size_t i = rng() % x.size();
    const double fd = central_difference(f, x, i, g, h);
    EXPECT_NEAR(fd, analytic[i], 2e-3 * scale + 2e-3 * std::abs(fd)) << what << " at index " << i;
  }
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.graph.name << " layer " << c.graph.nodes[c.node].name.view() << " batch " << c.n;
}

class NodeKernels : public testing::TestWithParam<Case> {};

TEST_P(NodeKernels, MatchReferenceAndFiniteDifferences) {
  const auto [g, index, n] = GetParam();
  const Node& node = g.nodes[index];
  std::mt19937 rng(1234 + index * 7 + n);
  const Shape in_s = node.in, out_s = node.out;
  const Vec in = random_vec(size_t(n) * in_s.size(), rng);
  const Vec d_out = random_vec(size_t(n) * out_s.size(), rng);
  const auto name = [&](Kernel k) { return cnngen::kernel_for(g, index, k).name(); };
  const Act fused = cnngen::fused_activation(g, index);  // applied by a BatchNorm's or an Add's forward
  const KernelSpec spec = cnngen::kernel_for(node, Kernel::conv_fwd);  // geometry only

  switch (node.op) {
    case Op::zero_padding2d: {
      const KernelSpec k = cnngen::kernel_for(node, Kernel::zeropad_fwd);
      const auto fwd = [&](const Vec& x) {
        Buffer bi = buffer(x, image_dims(in_s, n)), bo(image_dims(out_s, n));
        call(table(), name(Kernel::zeropad_fwd), {bi.raw_buffer(), bo.raw_buffer()});
        return vec(bo);
      };
      EXPECT_CLOSE(fwd(in), ref::zeropad(k, in, n), "forward");
      Buffer bd = buffer(d_out, image_dims(out_s, n)), bdi(image_dims(in_s, n));
      call(table(), name(Kernel::zeropad_bwd), {bd.raw_buffer(), bdi.raw_buffer()});
      EXPECT_CLOSE(vec(bdi), ref::zeropad_bwd(k, d_out, n), "backward");
      expect_matches_differences("d_in", fwd, in, d_out, vec(bdi), rng);
      break;
    }
    case Op::conv2d: {
      const Vec w = random_vec(size_t(node.kernel.h) * node.kernel.w * in_s.c * node.units, rng, -0.3f, 0.3f);
      const Vec b = node.use_bias ? random_vec(node.units, rng) : Vec{};
      const std::vector<int> wdims{node.units, in_s.c, node.kernel.w, node.kernel.h};
      const auto fwd_with = [&](const Vec& x, const Vec& wv) {
        Buffer bi = buffer(x, image_dims(in_s, n)), bw = buffer(wv, wdims), bo(image_dims(out_s, n));
        Buffer bb = node.use_bias ? buffer(b, {node.units}) : Buffer();
        std::vector<void*> args{bi.raw_buffer(), bw.raw_buffer()};
        if (node.use_bias) args.push_back(bb.raw_buffer());
        args.push_back(bo.raw_buffer());
        call(table(), name(Kernel::conv_fwd), args);
        return vec(bo);
      };
      EXPECT_CLOSE(fwd_with(in, w), ref::conv2d(spec, in, w, b, n), "forward");

      Buffer bd = buffer(d_out, image_dims(out_s, n)), bw = buffer(w, wdims), bdi(image_dims(in_s, n));
      call(table(), name(Kernel::conv_bwd_data), {bd.raw_buffer(), bw.raw_buffer(), bdi.raw_buffer()});
      EXPECT_CLOSE(vec(bdi), ref::conv2d_bwd_data(spec, d_out, w, n), "backward data");

      Buffer bi = buffer(in, image_dims(in_s, n)), bdw(wdims), bdb(node.units);
      std::vector<void*> args{bi.raw_buffer(), bd.raw_buffer(), bdw.raw_buffer()};
      if (node.use_bias) args.push_back(bdb.raw_buffer());
      call(table(), name(Kernel::conv_bwd_weights), args);
      Vec rdw, rdb;
      ref::conv2d_bwd_weights(spec, in, d_out, n, rdw, rdb);
      EXPECT_CLOSE(vec(bdw), rdw, "backward weights");
      if (node.use_bias) EXPECT_CLOSE(vec(bdb), rdb, "backward bias");

      expect_matches_differences("d_in", [&](const Vec& x) { return fwd_with(x, w); }, in, d_out, vec(bdi), rng);
      expect_matches_differences("d_w", [&](const Vec& wv) { return fwd_with(in, wv); }, w, d_out, vec(bdw), rng);

      // The inference kernel with the BatchNorm (and Add) that plan.hpp's inference_fusion gives it:
      // the reference convolution (no bias: the run time folds it into the shift), then per channel
      // scale and shift, the residual, the activation.
      const cnngen::InferenceFusion fusion = cnngen::inference_fusion(g, index);
      if (fusion.batch_norm >= 0) {
        const int c = out_s.c;
        const Vec scale = random_vec(c, rng, 0.5f, 1.5f), shift = random_vec(c, rng);
        const Vec residual = fusion.add >= 0 ? random_vec(size_t(n) * out_s.size(), rng) : Vec{};
        Buffer bs = buffer(scale, {c}), bsh = buffer(shift, {c}), br, bo(image_dims(out_s, n));
        Buffer blocked(static_cast<int>(w.size()));  // the weights as the inference kernel reads them
        call(table(), name(Kernel::conv_block_weights), {bw.raw_buffer(), blocked.raw_buffer()});
        std::vector<void*> fargs{bi.raw_buffer(), blocked.raw_buffer(), bs.raw_buffer(), bsh.raw_buffer()};
        if (fusion.add >= 0) br = buffer(residual, image_dims(out_s, n)), fargs.push_back(br.raw_buffer());
        fargs.push_back(bo.raw_buffer());
        call(table(), name(Kernel::conv_bn_infer_fwd), fargs);
        Vec want = ref::conv2d(spec, in, w, {}, n);
        for (size_t e = 0; e < want.size(); ++e)
          want[e] = want[e] * scale[e % c] + shift[e % c] + (fusion.add >= 0 ? residual[e] : 0.0f);
        EXPECT_CLOSE(vec(bo), ref::act(fusion.act, want, c), "inference forward with BatchNorm" << (fusion.add >= 0 ? " and Add" : ""));
      }
      break;
    }
    case Op::batch_norm: {
      const int c = in_s.c;
      const Vec x = random_vec(in.size(), rng, -1.5f, 2.5f);
      const Vec gamma = random_vec(c, rng, 0.5f, 1.5f), beta = random_vec(c, rng);
      float eps = node.epsilon;
      const auto train_fwd = [&](const Vec& xv, Vec* mean, Vec* var) {
        Buffer bi = buffer(xv, image_dims(in_s, n)), bg = buffer(gamma, {c}), bb = buffer(beta, {c});
        Buffer bo(image_dims(in_s, n)), bm(c), bv(c);
        call(table(), name(Kernel::bn_train_fwd),
             {bi.raw_buffer(), bg.raw_buffer(), bb.raw_buffer(), &eps, bo.raw_buffer(), bm.raw_buffer(), bv.raw_buffer()});
        if (mean) *mean = vec(bm), *var = vec(bv);
        return vec(bo);
      };
      Vec mean, var, rout, rmean, rvar;
      const Vec out = train_fwd(x, &mean, &var);
      ref::bn_train(spec, x, gamma, beta, eps, n, rout, rmean, rvar);
      EXPECT_CLOSE(out, ref::act(fused, rout, c), "train forward");
      EXPECT_CLOSE(mean, rmean, "batch mean");
      EXPECT_CLOSE(var, rvar, "batch variance");

      const Vec mm = random_vec(c, rng), mv = random_vec(c, rng, 0.5f, 2.0f);
      Buffer bi = buffer(x, image_dims(in_s, n)), bg = buffer(gamma, {c}), bb = buffer(beta, {c});
      Buffer bmm = buffer(mm, {c}), bmv = buffer(mv, {c}), bo(image_dims(in_s, n));
      call(table(), name(Kernel::bn_infer_fwd),
           {bi.raw_buffer(), bg.raw_buffer(), bb.raw_buffer(), bmm.raw_buffer(), bmv.raw_buffer(), &eps, bo.raw_buffer()});
      EXPECT_CLOSE(vec(bo), ref::act(fused, ref::bn_infer(spec, x, gamma, beta, mm, mv, eps, n), c), "inference forward");

      Buffer bm = buffer(mean, {c}), bv = buffer(var, {c}), bd = buffer(d_out, image_dims(in_s, n));
      Buffer bdi(image_dims(in_s, n)), bdg(c), bdb(c);
      call(table(), name(Kernel::bn_bwd), {bi.raw_buffer(), bg.raw_buffer(), bm.raw_buffer(), bv.raw_buffer(), bd.raw_buffer(),
                                           &eps, bdi.raw_buffer(), bdg.raw_buffer(), bdb.raw_buffer()});
      Vec rdi, rdg, rdb;
      ref::bn_bwd(spec, x, gamma, mean, var, d_out, eps, n, rdi, rdg, rdb);
      EXPECT_CLOSE(vec(bdi), rdi, "backward input");
      EXPECT_CLOSE(vec(bdg), rdg, "backward gamma");
      EXPECT_CLOSE(vec(bdb), rdb, "backward beta");
      // Differences of the forward kernel, fused activation included, against the chain rule: the
      // activation's backward (the reference's), then the BatchNorm's (the kernel's). Not through a
      // relu, whose kink the steps cross (bn_bwd is the same kernel there, checked above, and by
      // differences on the layers with no fused relu). One value per channel: the output is beta.
      if (in_s.size() * n > 1 && fused != Act::relu) {
        Buffer bdp = buffer(ref::act_bwd(fused, out, d_out, c), image_dims(in_s, n)), bdc(image_dims(in_s, n));
        call(table(), name(Kernel::bn_bwd), {bi.raw_buffer(), bg.raw_buffer(), bm.raw_buffer(), bv.raw_buffer(),
                                             bdp.raw_buffer(), &eps, bdc.raw_buffer(), bdg.raw_buffer(), bdb.raw_buffer()});
        expect_matches_differences("d_in", [&](const Vec& xv) { return train_fwd(xv, nullptr, nullptr); }, x, d_out,
                                   vec(bdc), rng);
      }
      break;
    }
    case Op::activation: case Op::dense: {
      Vec act_in = in;
      if (node.op == Op::dense) {
        const int K = in_s.c, U = node.units;
        const Vec w = random_vec(size_t(K) * U, rng, -0.3f, 0.3f), b = node.use_bias ? random_vec(U, rng) : Vec{};
        const auto fwd_with = [&](const Vec& x, const Vec& wv) {
          Buffer bi = buffer(x, {K, n}), bw = buffer(wv, {U, K}), bb = buffer(b, {U}), bo(U, n);
          call(table(), name(Kernel::dense_fwd), {bi.raw_buffer(), bw.raw_buffer(), bb.raw_buffer(), bo.raw_buffer()});
          return vec(bo);
        };
        const Vec out = fwd_with(in, w);
        EXPECT_CLOSE(out, ref::dense(spec, in, w, b, n), "forward");
        Buffer bd = buffer(d_out, {U, n}), bw = buffer(w, {U, K}), bdi(K, n);
        call(table(), name(Kernel::dense_bwd_data), {bd.raw_buffer(), bw.raw_buffer(), bdi.raw_buffer()});
        EXPECT_CLOSE(vec(bdi), ref::dense_bwd_data(spec, d_out, w, n), "backward data");
        Buffer bi = buffer(in, {K, n}), bdw(U, K), bdb(U);
        call(table(), name(Kernel::dense_bwd_weights), {bi.raw_buffer(), bd.raw_buffer(), bdw.raw_buffer(), bdb.raw_buffer()});
        Vec rdw, rdb;
        ref::dense_bwd_weights(spec, in, d_out, n, rdw, rdb);
        EXPECT_CLOSE(vec(bdw), rdw, "backward weights");
        EXPECT_CLOSE(vec(bdb), rdb, "backward bias");
        expect_matches_differences("d_in", [&](const Vec& x) { return fwd_with(x, w); }, in, d_out, vec(bdi), rng);
        expect_matches_differences("d_w", [&](const Vec& wv) { return fwd_with(in, wv); }, w, d_out, vec(bdw), rng);
        act_in = out;
      }
      if (node.act == Act::linear || cnngen::is_fused_head(g, index)) break;  // the loss applies the head's
      const int c = node.act == Act::softmax ? out_s.c : 0;
      const std::vector<int> dims = c ? std::vector<int>{c, static_cast<int>(act_in.size()) / c}
                                      : std::vector<int>{static_cast<int>(act_in.size())};
      const auto act_fwd = [&](const Vec& x) {
        Buffer bi = buffer(x, dims), bo(dims);
        call(table(), name(Kernel::act_fwd), {bi.raw_buffer(), bo.raw_buffer()});
        return vec(bo);
      };
      const Vec y = act_fwd(act_in);
      EXPECT_CLOSE(y, ref::act(node.act, act_in, out_s.c), "activation forward");
      Buffer by = buffer(y, dims), bd = buffer(d_out, dims), bdi(dims);
      call(table(), name(Kernel::act_bwd), {by.raw_buffer(), bd.raw_buffer(), bdi.raw_buffer()});
      EXPECT_CLOSE(vec(bdi), ref::act_bwd(node.act, y, d_out, out_s.c), "activation backward");
      if (node.act != Act::relu)  // relu's kink makes differences meaningless at points near 0
        expect_matches_differences("activation d_in", act_fwd, act_in, d_out, vec(bdi), rng);
      break;
    }
    case Op::max_pool2d: case Op::avg_pool2d: {
      const bool is_max = node.op == Op::max_pool2d;
      const KernelSpec k = cnngen::kernel_for(node, is_max ? Kernel::maxpool_fwd : Kernel::avgpool_fwd);
      const auto fwd = [&](const Vec& x) {
        Buffer bi = buffer(x, image_dims(in_s, n)), bo(image_dims(out_s, n));
        call(table(), name(is_max ? Kernel::maxpool_fwd : Kernel::avgpool_fwd), {bi.raw_buffer(), bo.raw_buffer()});
        return vec(bo);
      };
      EXPECT_CLOSE(fwd(in), is_max ? ref::maxpool(k, in, n) : ref::avgpool(k, in, n), "forward");
      Buffer bi = buffer(in, image_dims(in_s, n)), bd = buffer(d_out, image_dims(out_s, n)), bdi(image_dims(in_s, n));
      if (is_max) call(table(), name(Kernel::maxpool_bwd), {bi.raw_buffer(), bd.raw_buffer(), bdi.raw_buffer()});
      else call(table(), name(Kernel::avgpool_bwd), {bd.raw_buffer(), bdi.raw_buffer()});
      EXPECT_CLOSE(vec(bdi), is_max ? ref::maxpool_bwd(k, in, d_out, n) : ref::avgpool_bwd(k, d_out, n), "backward");
      expect_matches_differences("d_in", fwd, in, d_out, vec(bdi), rng, is_max ? 1e-4 : 1e-2);
      break;
    }
    case Op::add: {
      const Vec a = random_vec(in.size(), rng), b = random_vec(in.size(), rng);
      const int size = static_cast<int>(a.size());
      Buffer ba = buffer(a, {size}), bb = buffer(b, {size}), bo(size);
      call(table(), name(Kernel::add_fwd), {ba.raw_buffer(), bb.raw_buffer(), bo.raw_buffer()});
      Vec want(a.size());
      for (size_t i = 0; i < a.size(); ++i) want[i] = a[i] + b[i];
      EXPECT_CLOSE(vec(bo), ref::act(fused, want, 0), "forward");
      break;
    }
    case Op::input: case Op::flatten: break;
  }
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string s = std::string(info.param.graph.name) + "_" + std::string(info.param.graph.nodes[info.param.node].name.view()) +
                  "_n" + std::to_string(info.param.n);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Zoo, NodeKernels, testing::ValuesIn(all_cases()), case_name);

}  // namespace

// The zoo covers both ways a padded forward on row-tiled images treats its border: ZooPadded's
// comments say which of its layers takes which, and the schedules' choice must keep them true.
TEST(ZooCoverage, PaddedForwardsTakeBothBorderPaths) {
  const cnngen::GraphView g(zoo::padded);
  EXPECT_TRUE(cnngen::schedules::forward_skips_padding(g.nodes[1].out.w, g.nodes[1].out.h, g.nodes[1].out.c, true));
  EXPECT_FALSE(cnngen::schedules::forward_skips_padding(g.nodes[4].out.w, g.nodes[4].out.h, g.nodes[4].out.c, true));
  EXPECT_TRUE(cnngen::schedules::forward_skips_padding(15, 15, 64, true));  // ResNet50's stage-2 3x3, in zoo::stage2
}

// A pointwise forward runs on 2-D views of its images (kernel_table.hpp's with_flat_images), which
// only a dense tensor has: a crop of a wider one is refused with a message, not read as garbage.
TEST(PointwiseForward, RefusesAnImageThatIsNotDense) {
  const cnngen::GraphView g(zoo::stage2);
  const KernelSpec k = cnngen::kernel_for(g.nodes[2], Kernel::conv_fwd);  // 1x1 64 -> 256 on 15x15
  ASSERT_TRUE(cnngen::flattens_pixels(k));
  const Shape o = k.out();
  Buffer wide(k.in.c, k.in.w + 1, k.in.h, 1), w(o.c, k.in.c, 1, 1), b(o.c), out(image_dims(o, 1));
  wide.fill(1.0f), w.fill(1.0f), b.fill(0.0f);
  Buffer in = wide.cropped(1, 0, k.in.w);  // rows a pixel longer than the image's
  halide_set_error_handler(keep_halide_error);
  std::vector<void*> args{in.raw_buffer(), w.raw_buffer(), b.raw_buffer(), out.raw_buffer()};
  EXPECT_NE(cnngen::generated::zoo().find(k.name())(args.data()), 0);
  EXPECT_NE(last_halide_error().find("not a dense tensor"), std::string::npos) << last_halide_error();
}
