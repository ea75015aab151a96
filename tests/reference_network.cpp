#include "reference_network.hpp"

#include "layers/dispatch.hpp"

namespace ref {

Vec network_logits(const cnngen::Network& net, const Vec& x, int n, bool training) {
  const cnngen::GraphView& g = net.graph();
  unit_tests::ReferenceNet r{net, training, n, std::vector<Vec>(g.nodes.size()), g.output};
  r.out[0] = x;
  for (int i = 1; i < static_cast<int>(g.nodes.size()); ++i)
    if (g.nodes[i].reaches_output) unit_tests::reference(r, i);  // each kind's unit
  return r.out[r.logits_node];
}

}  // namespace ref
