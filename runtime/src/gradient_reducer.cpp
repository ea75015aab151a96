#include "gradient_reducer.hpp"

#include <algorithm>
#include <utility>

namespace cnngen {

GradientReducer::GradientReducer(const Network& net, size_t bucket_floats) {
  const std::vector<Parameter>& params = net.parameters();
  const int nodes = static_cast<int>(net.graph().nodes.size());
  bucket_of_node_.assign(nodes, -1);
  Bucket current;
  size_t floats = 0;
  for (int node = nodes - 1; node >= 0; --node) {
    if (net.sums_own_gradients(node)) continue;
    bool any = false;
    for (int p = 0; p < static_cast<int>(params.size()); ++p)
      if (params[p].node == node && params[p].trainable) current.params.push_back(p), floats += params[p].grad.size(), any = true;
    if (!any) continue;
    current.nodes.push_back(node);
    if (floats >= bucket_floats) {
      current.data.resize(floats);
      buckets_.push_back(std::move(current));
      current = Bucket{}, floats = 0;
    }
  }
  if (!current.params.empty()) current.data.resize(floats), buckets_.push_back(std::move(current));
  for (int b = 0; b < static_cast<int>(buckets_.size()); ++b)
    for (int node : buckets_[b].nodes) bucket_of_node_[node] = b;
}

void GradientReducer::begin() {
  for (Bucket& b : buckets_) b.waiting = static_cast<int>(b.nodes.size()), b.started = false;
}

void GradientReducer::start(Network& net, Bucket& b) {
  const std::vector<Parameter>& params = std::as_const(net).parameters();
  float* out = b.data.data();
  for (int p : b.params) out = std::copy(params[p].grad.begin(), params[p].grad.end(), out);
  b.request = net.communicator().start_sum(b.data);
  b.started = true;
}

void GradientReducer::node_done(Network& net, int node) {
  if (const int index = bucket_of_node_[node]; index >= 0 && --buckets_[index].waiting == 0) start(net, buckets_[index]);
  net.communicator().progress();
}

void GradientReducer::finish(Network& net) {
  // A layer no gradient reached this pass (none yet does) leaves its bucket unstarted: sum it now,
  // in the layout's order on every rank.
  for (Bucket& b : buckets_)
    if (!b.started) start(net, b);
  for (Bucket& b : buckets_) {
    net.communicator().wait(b.request);
    const float* in = b.data.data();
    for (int p : b.params) {
      FloatArray& grad = net.gradient(p);
      std::copy(in, in + grad.size(), grad.begin());
      in += grad.size();
    }
  }
}

}  // namespace cnngen
