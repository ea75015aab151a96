// Fusions across layers: which layer's kernels apply another's work. They read the graph around a
// node, so they live here rather than in one kind's unit; the units of the kinds involved consult them.
#pragma once
#include "node.hpp"

namespace cnngen {

// The activation a network's loss absorbs: an output node's sigmoid or softmax (of a Dense or an
// Activation layer) is applied by the loss from the logits, never by a kernel, for stability.
constexpr bool is_fused_head(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  return g.is_output(node) && (n.op == Op::dense || n.op == Op::activation) &&
         (n.act == Act::sigmoid || n.act == Act::softmax);
}

// The one layer that reads node's output, or -1 when none or several do (or one reads it twice).
constexpr int only_reader(const GraphView& g, int node) {
  int reader = -1, reads = 0;
  for (int j = node + 1; j < static_cast<int>(g.nodes.size()); ++j)
    for (int in : g.nodes[j].input_nodes())
      if (in == node) ++reads, reader = j;
  return reads == 1 ? reader : -1;
}

// Fused epilogues. A pointwise activation (relu, sigmoid, tanh) that is the only reader of a
// BatchNorm or an Add is applied by that layer's forward kernels, saving a pass over the tensor;
// the activation layer then runs no forward kernel, its output being the producer's. Backward is
// unchanged: the activation's backward reads that output. Returns the fused activation of `node`
// (linear when none).
constexpr Act fused_activation(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  if (n.op != Op::batch_norm && n.op != Op::add) return Act::linear;
  const int reader = only_reader(g, node);
  if (reader < 0 || g.nodes[reader].op != Op::activation || is_fused_head(g, reader)) return Act::linear;
  const Act a = g.nodes[reader].act;
  return a == Act::relu || a == Act::sigmoid || a == Act::tanh ? a : Act::linear;
}

// An Activation layer whose forward its input layer's kernels apply.
constexpr bool activation_fused_into_input(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  return n.op == Op::activation && fused_activation(g, n.input()) != Act::linear;
}

// At inference a BatchNorm is a per-channel affine map, so the convolution it reads applies it to
// its accumulators (conv2d_bn_infer_fwd): out = act(conv * scale + shift [+ residual]), scale =
// gamma / sqrt(moving variance + eps), shift = beta - moving mean * scale (+ bias * scale). With
// it go the BatchNorm's activation, or the Add that alone reads the BatchNorm (with the Add's
// activation) when the Add's other input is ready before the convolution runs: in a ResNet block,
// the last BatchNorm of the main path with the shortcut added (identity block), or the shortcut's
// BatchNorm with the main path added (convolutional block, where the main path comes first). Three
// or four passes over the tensor become none. Training keeps the separate kernels: a BatchNorm in
// training needs the whole convolution output for its batch statistics, and backward reads it.
struct InferenceFusion {
  int batch_norm = -1;   // the BatchNorm the convolution applies; -1: no fusion
  int add = -1;          // the Add it also applies, and that Add's other input
  int residual = -1;
  Act act = Act::linear;
  int output = -1;       // the node whose output buffer the fused kernel writes (the last one applied)
};

constexpr InferenceFusion inference_fusion(const GraphView& g, int conv) {
  InferenceFusion f;
  // A convolution with an activation of its own would hand the BatchNorm act(conv), which the
  // epilogue does not compute.
  if (g.nodes[conv].op != Op::conv2d || g.nodes[conv].act != Act::linear) return f;
  const int bn = only_reader(g, conv);
  if (bn < 0 || g.nodes[bn].op != Op::batch_norm) return f;
  f.batch_norm = f.output = bn;
  f.act = fused_activation(g, bn);
  const int add = only_reader(g, bn);
  if (f.act != Act::linear || add < 0 || g.nodes[add].op != Op::add || g.nodes[add].arity != 2) return f;
  const int other = g.nodes[add].input(0) == bn ? g.nodes[add].input(1) : g.nodes[add].input(0);
  if (other >= conv) return f;  // computed after the convolution: that side's Add runs on its own
  f.add = f.output = add, f.residual = other, f.act = fused_activation(g, add);
  return f;
}

// A BatchNorm or an Add whose inference forward the convolution before it applies.
constexpr bool fused_into_conv_at_inference(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  if (n.op == Op::batch_norm) return n.input() >= 0 && inference_fusion(g, n.input()).batch_norm == node;
  if (n.op != Op::add) return false;
  for (int side : n.input_nodes())
    if (g.nodes[side].op == Op::batch_norm && g.nodes[side].input() >= 0 &&
        inference_fusion(g, g.nodes[side].input()).add == node)
      return true;
  return false;
}

}  // namespace cnngen
