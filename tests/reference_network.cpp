#include "reference_network.hpp"

#include "layers/dispatch.hpp"

namespace ref {

std::vector<Vec> network_head_logits(const cnngen::Network& net, const Vec& x, int n, bool training) {
  const cnngen::GraphView& g = net.graph();
  unit_tests::ReferenceNet r{net, training, n, std::vector<Vec>(g.nodes.size())};
  r.out[0] = x;
  for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i)
    if (g.nodes[i].reaches_output) unit_tests::reference(r, i);  // each kind's unit
  // A head's softmax or sigmoid is the loss's (the references leave it out): its output is its logits.
  std::vector<Vec> logits;
  for (const cnngen::Network::Head& h : net.heads()) logits.push_back(r.out[h.node]);
  return logits;
}

Vec network_logits(const cnngen::Network& net, const Vec& x, int n, bool training) {
  return network_head_logits(net, x, n, training)[0];
}

}  // namespace ref
