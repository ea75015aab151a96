// Dropout: in training, each value is kept with probability 1 - rate and scaled by 1 / (1 - rate),
// else zeroed; at inference, the identity. The mask is a hash of the sample's seed and the value's
// place in the sample, the seeds coming from the trainer as (seed, epoch, sample): a run, its
// --resume, and a sample on any process draw the same mask.
// Kernels (inputs, then outputs; tensors as 1-D, samples of `in.c` values one after another):
//   dropout_train_fwd   in, seeds (uint32, one per sample), rate    out
//   dropout_bwd         d_out, seeds, rate                          d_in
#pragma once
#include <cstdint>

#include "../kernel_spec.hpp"
#include "../rules.hpp"

namespace cnngen {
namespace layers {
struct Dropout {
  float rate = 0.5f;
  Name name = {};
};
}  // namespace layers

namespace dropout {

enum Setting { rate };  // its place in Node::settings

// The mask's hash (a 32-bit finaliser of the seed and the value's index), shared by the kernel's
// algorithm (codegen/dropout.cpp, as Halide expressions) and the tests' reference.
constexpr uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}
constexpr uint32_t hash(uint32_t seed, uint32_t index) { return mix(seed * 0x9e3779b9u + mix(index)); }
// Kept when the hash's top 24 bits, as a fraction, are at least the rate.
constexpr uint32_t threshold(float rate) { return static_cast<uint32_t>(rate * 16777216.0f); }

}  // namespace dropout

template <>
struct LayerKind<layers::Dropout> : rules::KindDefaults {
  static constexpr Op op = Op::dropout;
  static constexpr std::string_view keras_type = "Dropout", keras_prefix = "dropout";
  static constexpr Message infer(Node& n, const Shape*, const layers::Dropout& l) {
    n.settings[dropout::rate] = l.rate;
    if (!(l.rate >= 0 && l.rate < 1)) return rules::error("rate must be at least 0 and below 1, input ", n.in);
    n.out = n.in;
    return {};
  }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    for (Pass p : {Pass::train_fwd, Pass::bwd}) {
      KernelSpec s;
      s.op = Op::dropout, s.pass = p, s.in = s.out = Shape::flat(static_cast<int>(g.nodes[i].in.size()));
      k.add(s);
    }
    return k;
  }
};

}  // namespace cnngen
