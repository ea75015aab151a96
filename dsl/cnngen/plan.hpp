// The contract between the code generator and the run time: which kernels a model needs, what each
// is called, and the order of its arguments. Both sides derive kernel names from the same function
// here, so a kernel the run time asks for is exactly one the generator built.
//
// Tensors are NHWC; in Halide their dimensions are (c, x, y, n), channels innermost. Weights keep
// Keras's layout: Conv2D (kh, kw, cin, cout) is Halide (co, ci, kx, ky); Dense (in, out) is (u, k).
// Every kernel is an AOT Halide function called through its `<name>_argv(void**)` entry: inputs in
// the order below, then outputs. The batch size n is a run-time extent; everything else is fixed.
//
//   kind               inputs                                    outputs
//   zeropad_fwd        in                                        out
//   zeropad_bwd        d_out                                     d_in
//   conv_fwd           in, w, [b]                                out
//   conv_bn_infer_fwd  in, w_blocked, scale, shift, [residual]   out = act(conv * scale + shift [+ residual])
//                      (inference: the BatchNorm, and the Add, that read the convolution; see inference_fusion)
//   conv_block_weights w                                         w_blocked: w's floats in the order conv_bn_infer_fwd
//                      reads them (1-D, as many); the run time calls it when the weights change, not every batch
//   conv_bwd_data      d_out, w                                  d_in
//   conv_bwd_weights   in, d_out                                 d_w, [d_b]
//   bn_train_fwd       in, gamma, beta, eps                      out, batch mean, batch variance (biased)
//   bn_infer_fwd       in, gamma, beta, mean, variance, eps      out
//                      (with a fused activation, out = act(batch norm); see fused_activation)
//   bn_bwd             in, gamma, mean, variance, d_out, eps     d_in, d_gamma, d_beta
//   act_fwd            in (1-D; softmax: (c, m))                 out
//   act_bwd            out, d_out (as act_fwd)                   d_in
//   maxpool_fwd        in                                        out
//   maxpool_bwd        in, d_out                                 d_in   (to the first maximum of each window)
//   avgpool_fwd        in                                        out
//   avgpool_bwd        d_out                                     d_in
//   dense_fwd          in (k, n), w, [b]                         out (u, n)
//   dense_bwd_data     d_out, w                                  d_in
//   dense_bwd_weights  in, d_out                                 d_w, [d_b]
//   add_fwd            a, b (1-D)                                out = a + b, or act(a + b) fused
#pragma once
#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph.hpp"

namespace cnngen {

enum class Kernel : unsigned char {
  zeropad_fwd, zeropad_bwd,
  conv_fwd, conv_bwd_data, conv_bwd_weights,
  bn_train_fwd, bn_infer_fwd, bn_bwd,
  act_fwd, act_bwd,
  maxpool_fwd, maxpool_bwd, avgpool_fwd, avgpool_bwd,
  dense_fwd, dense_bwd_data, dense_bwd_weights,
  add_fwd,
  conv_bn_infer_fwd, conv_block_weights,
};

inline constexpr const char* kernel_kind_names[] = {
    "zeropad_fwd", "zeropad_bwd", "conv_fwd", "conv_bwd_data", "conv_bwd_weights",
    "bn_train_fwd", "bn_infer_fwd", "bn_bwd", "act_fwd", "act_bwd",
    "maxpool_fwd", "maxpool_bwd", "avgpool_fwd", "avgpool_bwd",
    "dense_fwd", "dense_bwd_data", "dense_bwd_weights", "add_fwd", "conv_bn_infer_fwd", "conv_block_weights"};

// Everything a kernel's algorithm and schedule depend on.
struct KernelSpec {
  Kernel kind = Kernel::add_fwd;
  Shape in;                 // input shape of the layer (for dense: flat, c = fan-in)
  int units = 0;            // conv filters / dense units
  Size2 kernel{0, 0}, strides{0, 0};
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  bool use_bias = false;
  Act act = Act::linear;
  bool residual = false;    // conv_bn_infer_fwd: adds a residual input before the activation

  bool operator==(const KernelSpec&) const = default;

  bool padded() const { return pad_top || pad_bottom || pad_left || pad_right; }

  // Output shape of the layer the kernel belongs to.
  Shape out() const {
    switch (kind) {
      case Kernel::zeropad_fwd: case Kernel::zeropad_bwd:
        return Shape::image(in.h + pad_top + pad_bottom, in.w + pad_left + pad_right, in.c);
      case Kernel::conv_fwd: case Kernel::conv_bwd_data: case Kernel::conv_bwd_weights: case Kernel::conv_bn_infer_fwd:
      case Kernel::conv_block_weights:
        return Shape::image((in.h + pad_top + pad_bottom - kernel.h) / strides.h + 1,
                            (in.w + pad_left + pad_right - kernel.w) / strides.w + 1, units);
      case Kernel::maxpool_fwd: case Kernel::maxpool_bwd: case Kernel::avgpool_fwd: case Kernel::avgpool_bwd:
        return Shape::image((in.h - kernel.h) / strides.h + 1, (in.w - kernel.w) / strides.w + 1, in.c);
      case Kernel::dense_fwd: case Kernel::dense_bwd_data: case Kernel::dense_bwd_weights:
        return Shape::flat(units);
      default:
        return in;
    }
  }

  // A C identifier that says op, shape, stride and pass, e.g. conv7x7s1_70x70x3_to32_fwd.
  std::string name() const {
    std::ostringstream s;
    const auto hwc = [&] { s << in.h << 'x' << in.w << 'x' << in.c; };
    const auto window = [&] {
      s << kernel.h << 'x' << kernel.w << 's' << strides.h;
      if (strides.w != strides.h) s << 'x' << strides.w;
    };
    const auto pads = [&] {
      if (padded())
        s << "_p" << pad_top << '_' << pad_bottom << '_' << pad_left << '_' << pad_right;
    };
    const auto fused = [&] {
      if (act != Act::linear) s << '_' << act_name(act);
    };
    const std::string kind_name = kernel_kind_names[static_cast<int>(kind)];
    std::string pass = kind_name.substr(kind_name.find('_'));  // "_fwd", "_bwd_data", ...
    switch (kind) {
      case Kernel::zeropad_fwd: case Kernel::zeropad_bwd:
        s << "zeropad"; pads(); s << '_'; hwc(); break;
      case Kernel::conv_fwd: case Kernel::conv_bwd_data: case Kernel::conv_bwd_weights:
        s << "conv"; window(); pads(); s << '_'; hwc(); s << "_to" << units << (use_bias ? "" : "_nobias"); break;
      case Kernel::conv_block_weights:  // the layout depends on the geometry only, e.g. conv1x1s1_8x8x128_to512_block_weights
        s << "conv"; window(); pads(); s << '_'; hwc(); s << "_to" << units; break;
      case Kernel::bn_train_fwd: case Kernel::bn_infer_fwd: case Kernel::bn_bwd:
        s << "batchnorm_"; hwc(); fused(); break;
      case Kernel::act_fwd: case Kernel::act_bwd:
        s << act_name(act); break;
      case Kernel::maxpool_fwd: case Kernel::maxpool_bwd:
        s << "maxpool"; window(); s << '_'; hwc(); break;
      case Kernel::avgpool_fwd: case Kernel::avgpool_bwd:
        s << "avgpool"; window(); s << '_'; hwc(); break;
      case Kernel::dense_fwd: case Kernel::dense_bwd_data: case Kernel::dense_bwd_weights:
        s << "dense" << in.c << "_to" << units << (use_bias ? "" : "_nobias"); break;
      case Kernel::add_fwd:
        s << "add"; fused(); break;
      case Kernel::conv_bn_infer_fwd:  // e.g. conv1x1s1_8x8x128_to512_bn_add_relu_infer_fwd; a bias is in the shift
        s << "conv"; window(); pads(); s << '_'; hwc(); s << "_to" << units << "_bn" << (residual ? "_add" : "");
        fused(), pass = "_infer_fwd"; break;
    }
    s << pass;
    return s.str();
  }

  // One line of the planner's output, read back by the generator with parse().
  std::string serialize() const {
    std::ostringstream s;
    s << kernel_kind_names[static_cast<int>(kind)] << ' ' << in.h << ' ' << in.w << ' ' << in.c << ' ' << in.rank << ' '
      << units << ' ' << kernel.h << ' ' << kernel.w << ' ' << strides.h << ' ' << strides.w << ' ' << pad_top << ' '
      << pad_bottom << ' ' << pad_left << ' ' << pad_right << ' ' << use_bias << ' ' << static_cast<int>(act) << ' '
      << residual;
    return s.str();
  }

  static KernelSpec parse(const std::string& line) {
    std::istringstream s(line);
    std::string kind_name;
    KernelSpec k;
    int bias = 0, act = 0, residual = 0;
    s >> kind_name >> k.in.h >> k.in.w >> k.in.c >> k.in.rank >> k.units >> k.kernel.h >> k.kernel.w >> k.strides.h >>
        k.strides.w >> k.pad_top >> k.pad_bottom >> k.pad_left >> k.pad_right >> bias >> act >> residual;
    const auto* end = std::end(kernel_kind_names);
    const auto* it = std::find_if(std::begin(kernel_kind_names), end, [&](const char* n) { return kind_name == n; });
    if (!s || it == end || act < 0 || act > static_cast<int>(Act::softmax))
      throw std::runtime_error("cannot read kernel spec line: '" + line + "'");
    k.kind = static_cast<Kernel>(it - std::begin(kernel_kind_names));
    k.use_bias = bias != 0;
    k.act = static_cast<Act>(act);
    k.residual = residual != 0;
    return k;
  }
};

// A 1x1 convolution without padding is a matrix product over the batch's output pixels. The
// hand-scheduled forwards (conv_fwd, conv_bn_infer_fwd; not the autoscheduled twins) of those of
// stride 1, and of the strided ones with at most 16 output pixels (ResNet50's stages 4 and 5, where
// the kernels would otherwise tile across the batch: schedules/tiles.hpp's batch_tiled), take
// their output images (out, residual) as (channels, pixels x batch) matrices, and their input too
// at stride 1; the table entry the planner writes passes them 2-D views of the 4-D tensors
// (kernel_table.hpp's with_flat_images): the caller sees the uniform contract above.
inline bool stride_1(const KernelSpec& k) { return k.strides.w == 1 && k.strides.h == 1; }
inline bool is_pointwise(const KernelSpec& k) {  // the geometry, whatever the pass
  return k.kernel.w == 1 && k.kernel.h == 1 && !k.padded() && (stride_1(k) || k.out().w * k.out().h <= 16);
}
inline bool flattens_pixels(const KernelSpec& k) {
  return (k.kind == Kernel::conv_fwd || k.kind == Kernel::conv_bn_infer_fwd) && is_pointwise(k);
}
inline bool flattens_input(const KernelSpec& k) { return flattens_pixels(k) && stride_1(k); }

// Where a pointwise forward's images sit among its arguments (the table above): the planner's entry
// for it hands the kernel 2-D views of these, and the others as they come. -1: not a matrix.
struct FlatImageArguments {
  int arity, in, residual, out;
};
inline FlatImageArguments flat_image_arguments(const KernelSpec& k) {
  if (k.kind == Kernel::conv_bn_infer_fwd)  // in, w_blocked, scale, shift, [residual], out
    return {5 + k.residual, flattens_input(k) ? 0 : -1, k.residual ? 4 : -1, 4 + k.residual};
  const int arity = 3 + k.use_bias;  // in, w, [b], out
  return {arity, flattens_input(k) ? 0 : -1, -1, arity - 1};
}

// The kernel of one node and pass. The layer's geometry comes from the node; only `kind` varies.
inline KernelSpec kernel_for(const Node& n, Kernel kind) {
  KernelSpec k{.kind = kind, .in = n.in, .units = n.units, .kernel = n.kernel, .strides = n.strides,
               .pad_top = n.pad_top, .pad_bottom = n.pad_bottom, .pad_left = n.pad_left,
               .pad_right = n.pad_right, .use_bias = n.use_bias, .act = n.act};
  switch (kind) {  // keep only what the kind depends on, so that equal kernels get equal names
    case Kernel::act_fwd: case Kernel::act_bwd: case Kernel::add_fwd:
      k.in = k.act == Act::softmax ? Shape::flat(n.in.c) : Shape{}, k.units = 0, k.kernel = k.strides = {0, 0};
      k.pad_top = k.pad_bottom = k.pad_left = k.pad_right = 0, k.use_bias = false;
      if (kind == Kernel::add_fwd) k.act = Act::linear;
      break;
    case Kernel::zeropad_fwd: case Kernel::zeropad_bwd:
    case Kernel::bn_train_fwd: case Kernel::bn_infer_fwd: case Kernel::bn_bwd:
      k.units = 0, k.kernel = k.strides = {0, 0}, k.use_bias = false, k.act = Act::linear;
      if (kind != Kernel::zeropad_fwd && kind != Kernel::zeropad_bwd) k.pad_top = k.pad_bottom = k.pad_left = k.pad_right = 0;
      break;
    case Kernel::maxpool_fwd: case Kernel::maxpool_bwd: case Kernel::avgpool_fwd: case Kernel::avgpool_bwd:
      k.units = 0, k.use_bias = false, k.act = Act::linear;
      k.pad_top = k.pad_bottom = k.pad_left = k.pad_right = 0;
      break;
    case Kernel::conv_bn_infer_fwd:  // the bias is folded into the shift; kernel_for(graph, ...) sets act and residual
    case Kernel::conv_block_weights:
      k.use_bias = false, k.act = Act::linear;
      break;
    default:
      k.act = Act::linear;
      break;
  }
  return k;
}

// The activation a network's loss absorbs: the output node's sigmoid or softmax (of a Dense or an
// Activation layer) is applied by the loss from the logits, never by a kernel, for stability.
inline bool is_fused_head(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  return node == g.output && (n.op == Op::dense || n.op == Op::activation) &&
         (n.act == Act::sigmoid || n.act == Act::softmax);
}

// The one layer that reads node's output, or -1 when none or several do (or one reads it twice).
inline int only_reader(const GraphView& g, int node) {
  int reader = -1, reads = 0;
  for (int j = node + 1; j < static_cast<int>(g.nodes.size()); ++j) {
    if (g.nodes[j].in0 == node) ++reads, reader = j;
    if (g.nodes[j].in1 == node) ++reads, reader = j;
  }
  return reads == 1 ? reader : -1;
}

// Fused epilogues. A pointwise activation (relu, sigmoid, tanh) that is the only reader of a
// BatchNorm or an Add is applied by that layer's forward kernels, saving a pass over the tensor;
// the activation layer then runs no forward kernel, its output being the producer's. Backward is
// unchanged: the activation's act_bwd reads that output. Returns the fused activation of `node`
// (linear when none).
inline Act fused_activation(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  if (n.op != Op::batch_norm && n.op != Op::add) return Act::linear;
  const int reader = only_reader(g, node);
  if (reader < 0 || g.nodes[reader].op != Op::activation || is_fused_head(g, reader)) return Act::linear;
  const Act a = g.nodes[reader].act;
  return a == Act::relu || a == Act::sigmoid || a == Act::tanh ? a : Act::linear;
}

// An Activation layer whose forward its input layer's kernels apply.
inline bool activation_fused_into_input(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  return n.op == Op::activation && fused_activation(g, n.in0) != Act::linear;
}

// At inference a BatchNorm is a per-channel affine map, so the convolution it reads applies it to
// its accumulators (conv_bn_infer_fwd): out = act(conv * scale + shift [+ residual]), scale =
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

inline InferenceFusion inference_fusion(const GraphView& g, int conv) {
  InferenceFusion f;
  // A convolution with an activation of its own (none in the DSL today) would hand the BatchNorm
  // act(conv), which the epilogue does not compute.
  if (g.nodes[conv].op != Op::conv2d || g.nodes[conv].act != Act::linear) return f;
  const int bn = only_reader(g, conv);
  if (bn < 0 || g.nodes[bn].op != Op::batch_norm) return f;
  f.batch_norm = f.output = bn;
  f.act = fused_activation(g, bn);
  const int add = only_reader(g, bn);
  if (f.act != Act::linear || add < 0 || g.nodes[add].op != Op::add) return f;
  const int other = g.nodes[add].in0 == bn ? g.nodes[add].in1 : g.nodes[add].in0;
  if (other >= conv) return f;  // computed after the convolution: that side's Add runs on its own
  f.add = f.output = add, f.residual = other, f.act = fused_activation(g, add);
  return f;
}

// A BatchNorm or an Add whose inference forward the convolution before it applies.
inline bool fused_into_conv_at_inference(const GraphView& g, int node) {
  const Node& n = g.nodes[node];
  if (n.op == Op::batch_norm) return n.in0 >= 0 && inference_fusion(g, n.in0).batch_norm == node;
  if (n.op != Op::add) return false;
  for (int side : {n.in0, n.in1})
    if (side >= 0 && g.nodes[side].op == Op::batch_norm && g.nodes[side].in0 >= 0 &&
        inference_fusion(g, g.nodes[side].in0).add == node)
      return true;
  return false;
}

// The kernel of node `node` of graph g and pass `kind`: kernel_for(node), with a fused activation
// (and for conv_bn_infer_fwd, what inference_fusion applies).
inline KernelSpec kernel_for(const GraphView& g, int node, Kernel kind) {
  KernelSpec k = kernel_for(g.nodes[node], kind);
  if (kind == Kernel::bn_train_fwd || kind == Kernel::bn_infer_fwd || kind == Kernel::add_fwd)
    k.act = fused_activation(g, node);
  if (kind == Kernel::conv_bn_infer_fwd) {
    const InferenceFusion f = inference_fusion(g, node);
    k.act = f.act, k.residual = f.add >= 0;
  }
  return k;
}

// Every kernel a model needs for training and inference, each once, in graph order.
inline std::vector<KernelSpec> kernels_of(const GraphView& g) {
  std::vector<KernelSpec> out;
  const auto need = [&](int node, Kernel kind) {
    KernelSpec k = kernel_for(g, node, kind);
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  };
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
    const Node& n = g.nodes[i];
    // A fused activation's act_fwd is not run, but generated all the same: one 1-D kernel shared
    // by every layer of that activation, which the tests check on every activation layer.
    const bool act_kernel = n.act != Act::linear && !is_fused_head(g, i);
    switch (n.op) {
      case Op::input: case Op::flatten: break;
      case Op::zero_padding2d: need(i, Kernel::zeropad_fwd), need(i, Kernel::zeropad_bwd); break;
      case Op::conv2d:
        need(i, Kernel::conv_fwd), need(i, Kernel::conv_bwd_data), need(i, Kernel::conv_bwd_weights);
        if (inference_fusion(g, i).batch_norm >= 0) need(i, Kernel::conv_bn_infer_fwd), need(i, Kernel::conv_block_weights);
        break;
      case Op::batch_norm: need(i, Kernel::bn_train_fwd), need(i, Kernel::bn_infer_fwd), need(i, Kernel::bn_bwd); break;
      case Op::activation: if (act_kernel) need(i, Kernel::act_fwd), need(i, Kernel::act_bwd); break;
      case Op::max_pool2d: need(i, Kernel::maxpool_fwd), need(i, Kernel::maxpool_bwd); break;
      case Op::avg_pool2d: need(i, Kernel::avgpool_fwd), need(i, Kernel::avgpool_bwd); break;
      case Op::dense:
        need(i, Kernel::dense_fwd), need(i, Kernel::dense_bwd_data), need(i, Kernel::dense_bwd_weights);
        if (act_kernel) need(i, Kernel::act_fwd), need(i, Kernel::act_bwd);
        break;
      case Op::add: need(i, Kernel::add_fwd); break;
    }
  }
  return out;
}

}  // namespace cnngen
