// Conv2D. in (H, W, Cin), kernel (KH, KW, Cin, F), bias (F) -> out (OH, OW, F); 'valid', or
// TensorFlow's 'same' resolved here to explicit padding (the extra row or column bottom/right).
// activation= (relu, sigmoid, tanh) is applied by the forward kernel to its tiles; backward runs
// the Activation unit's backward kernel first.
// Kernels (inputs, then outputs):
//   conv2d_fwd            in, w, [b]                                  out = act(conv)
//   conv2d_bwd_data       d_out, w                                    d_in
//   conv2d_bwd_weights    in, d_out                                   d_w, [d_b]
//   conv2d_bn_infer_fwd   in, w_blocked, scale, shift, [residual]     out = act(conv * scale + shift [+ residual])
//                         (inference: the BatchNorm, and the Add, that read it; fusion.hpp's inference_fusion)
//   conv2d_block_weights  w                                           w_blocked: w's floats in the order
//                         conv2d_bn_infer_fwd reads them (1-D); run when the weights change, not every batch
#pragma once
#include "../fusion.hpp"
#include "../kernel_spec.hpp"
#include "../rules.hpp"
#include "activation.hpp"

namespace cnngen {
namespace layers {
struct Conv2D {
  int filters = 0;
  Size2 kernel_size;
  Size2 strides = 1;
  Padding padding = Padding::valid;
  ActivationFn activation = {};
  bool use_bias = true;
  Name name = {};
};
}  // namespace layers

template <>
struct LayerKind<layers::Conv2D> : rules::KindDefaults {
  static constexpr Op op = Op::conv2d;
  static constexpr std::string_view keras_type = "Conv2D", keras_prefix = "conv2d";
  static constexpr Message infer(Node& n, const Shape*, const layers::Conv2D& l) {
    n.units = l.filters, n.kernel = l.kernel_size, n.strides = l.strides, n.use_bias = l.use_bias;
    n.act = l.activation.act;
    if (Message m = rules::needs_image(n); !m.empty()) return m;
    if (Message m = rules::known(l.activation); !m.empty()) return m;
    if (n.act == Act::softmax) return rules::error("activation softmax is not supported on Conv2D (add Activation after it), input ", n.in);
    if (l.filters <= 0) return rules::error("filters must be positive, input ", n.in);
    if (Message m = rules::window(n, l.padding, "kernel "); !m.empty()) return m;
    n.out.c = l.filters;
    return {};
  }
  static constexpr long long params(const Node& n) {
    return static_cast<long long>(n.kernel.h) * n.kernel.w * n.in.c * n.units + (n.use_bias ? n.units : 0);
  }
  // Multiply-accumulates of one sample's forward: every output value sums KH x KW x Cin products.
  static constexpr long long macs(const Node& n) { return n.out.size() * n.kernel.h * n.kernel.w * n.in.c; }
  static NodeKernels kernels(const GraphView& g, int i) {
    NodeKernels k;
    for (Pass p : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
      KernelSpec s = spec_of(g.nodes[i], p);
      if (p == Pass::fwd) s.act = g.nodes[i].act;
      k.add(s);
    }
    if (g.nodes[i].act != Act::linear) k.add(activation::kernel(g.nodes[i].act, g.nodes[i].units, Pass::bwd));
    const InferenceFusion f = inference_fusion(g, i);
    if (f.batch_norm >= 0) {
      KernelSpec fused = spec_of(g.nodes[i], Pass::bn_infer_fwd), block = spec_of(g.nodes[i], Pass::block_weights);
      fused.use_bias = block.use_bias = false;  // the bias is folded into the shift
      fused.act = f.act, fused.residual = f.add >= 0;
      k.add(fused), k.add(block);
    }
    return k;
  }
};

namespace conv2d {

// A 1x1 convolution without padding is a matrix product over the batch's output pixels. The
// hand-scheduled forwards (conv2d_fwd, conv2d_bn_infer_fwd; not the autoscheduled twins) of those of
// stride 1, and of the strided ones with at most 16 output pixels (ResNet50's stages 4 and 5, where
// the kernels would otherwise tile across the batch: schedules/tiles.hpp's batch_tiled), take
// their output images (out, residual) as (channels, pixels x batch) matrices, and their input too
// at stride 1; the table entry the planner writes passes them 2-D views of the 4-D tensors
// (kernel_table.hpp's with_flat_images): the caller sees the uniform contract above.
inline bool stride_1(const KernelSpec& k) { return k.strides.w == 1 && k.strides.h == 1; }
inline bool is_pointwise(const KernelSpec& k) {  // the geometry, whatever the pass
  return k.kernel.w == 1 && k.kernel.h == 1 && !k.padded() && (stride_1(k) || k.out.w * k.out.h <= 16);
}
inline bool flattens_pixels(const KernelSpec& k) {
  return k.op == Op::conv2d && (k.pass == Pass::fwd || k.pass == Pass::bn_infer_fwd) && is_pointwise(k);
}
inline bool flattens_input(const KernelSpec& k) { return flattens_pixels(k) && stride_1(k); }
// Whether some tap of a pixel can fall outside the image (a kernel wider than 1, or padding).
inline bool taps_may_miss(const KernelSpec& k) { return k.kernel.w > 1 || k.kernel.h > 1 || k.padded(); }

}  // namespace conv2d
}  // namespace cnngen

namespace cnngen::conv2d {

// Where a pointwise forward's images sit among its arguments (the table above): the planner's entry
// for it hands the kernel 2-D views of these, and the others as they come. -1: not a matrix.
struct FlatImageArguments {
  int arity, in, residual, out;
};
inline FlatImageArguments flat_image_arguments(const KernelSpec& k) {
  if (k.pass == Pass::bn_infer_fwd)  // in, w_blocked, scale, shift, [residual], out
    return {5 + k.residual, flattens_input(k) ? 0 : -1, k.residual ? 4 : -1, 4 + k.residual};
  const int arity = 3 + k.use_bias;  // in, w, [b], out
  return {arity, flattens_input(k) ? 0 : -1, -1, arity - 1};
}

}  // namespace cnngen::conv2d
