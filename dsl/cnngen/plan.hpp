// The contract between the code generator and the run time: which kernels a model needs. Each layer
// kind's unit (dsl/cnngen/layers/<unit>.hpp) lists its node's kernels and documents their argument
// order; both sides name a kernel from its spec alone (kernel_spec.hpp), so a kernel the run time
// asks for is exactly one the generator built.
#pragma once
#include <algorithm>
#include <vector>

#include "graph.hpp"

namespace cnngen {

// The kernels node i of g runs, as its kind's unit lists them.
inline NodeKernels kernels_of(const GraphView& g, int i) { return kind_of(g.nodes[i].op).kernels(g, i); }

// Every kernel a model needs for training and inference, each once, in graph order. A fused
// activation's forward is not run, but generated all the same: one 1-D kernel shared by every layer
// of that activation, which the tests check on every activation layer.
inline std::vector<KernelSpec> kernels_of(const GraphView& g) {
  std::vector<KernelSpec> out;
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
    if (!g.nodes[i].reaches_output) continue;
    for (const KernelSpec& k : kernels_of(g, i).list)
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

}  // namespace cnngen
