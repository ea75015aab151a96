#include "reference_network.hpp"

#include <stdexcept>
#include <string>

namespace ref {

using cnngen::Kernel;
using cnngen::Node;
using cnngen::Op;

namespace {

Vec param(const cnngen::Network& net, const Node& node, const char* what) {
  const std::string name = std::string(node.name.view()) + "/" + what;
  for (const cnngen::Parameter& p : net.parameters())
    if (p.name == name) return Vec(p.value.begin(), p.value.end());
  return {};
}

}  // namespace

Vec network_logits(const cnngen::Network& net, const Vec& x, int n, bool training) {
  const cnngen::GraphView& g = net.graph();
  std::vector<Vec> out(g.nodes.size());
  out[0] = x;
  int logits_node = g.output;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const Node& node = g.nodes[i];
    const Vec& in = out[node.in0];
    const auto spec = [&](Kernel k) { return cnngen::kernel_for(node, k); };
    const bool fused = cnngen::is_fused_head(g, static_cast<int>(i));
    switch (node.op) {
      case Op::input: break;
      case Op::zero_padding2d: out[i] = zeropad(spec(Kernel::zeropad_fwd), in, n); break;
      case Op::conv2d: out[i] = conv2d(spec(Kernel::conv_fwd), in, param(net, node, "kernel"), param(net, node, "bias"), n); break;
      case Op::batch_norm: {
        const Vec gamma = param(net, node, "gamma"), beta = param(net, node, "beta");
        if (training) {
          Vec mean, var;
          bn_train(spec(Kernel::bn_train_fwd), in, gamma, beta, node.epsilon, n, out[i], mean, var);
        } else {
          out[i] = bn_infer(spec(Kernel::bn_infer_fwd), in, gamma, beta, param(net, node, "moving_mean"),
                            param(net, node, "moving_variance"), node.epsilon, n);
        }
        break;
      }
      case Op::activation:
        if (fused) {
          out[i] = in;
          logits_node = node.in0;
        } else {
          out[i] = act(node.act, in, node.in.c);
        }
        break;
      case Op::max_pool2d: out[i] = maxpool(spec(Kernel::maxpool_fwd), in, n); break;
      case Op::avg_pool2d: out[i] = avgpool(spec(Kernel::avgpool_fwd), in, n); break;
      case Op::flatten: out[i] = in; break;
      case Op::dense:
        out[i] = dense(spec(Kernel::dense_fwd), in, param(net, node, "kernel"), param(net, node, "bias"), n);
        if (node.act != cnngen::Act::linear && !fused) out[i] = act(node.act, out[i], node.units);
        break;
      case Op::add: {
        out[i] = in;
        for (size_t k = 0; k < in.size(); ++k) out[i][k] += out[node.in1][k];
        break;
      }
    }
  }
  return out[logits_node];
}

}  // namespace ref
