// The named stages of each layer kind's algorithm: what codegen/<kind>.cpp defines and
// schedules/<kind>.cpp schedules. Keeping them in one struct per pass is what lets the schedule live
// apart from the algorithm, as in Halide's apps/.
#pragma once
#include <Halide.h>

#include <cnngen/registry.hpp>

#include "../schedules/tiles.hpp"

namespace cnngen::codegen {

// out(co, x, y, n) = b(co) + sum_{ky, kx, ci} w(co, ci, kx, ky) * padded(ci, x*sw + kx - pl, y*sh + ky - pt, n)
// conv2d_bn_infer_fwd: out = act(raw * scale + shift [+ residual]), raw the convolution.
// Hand-scheduled pointwise forwards (conv2d.hpp's flattens_pixels): out(co, p) over points p = x + W (y + H n).
struct Conv2dFwd {
  // padded: the input as the reduction reads it (zero border, clamped, or a strided pointwise
  // layer's grid); w_blocked: the weights by the tile's channel block
  Halide::Func padded, w_blocked, conv, raw, out;
  Halide::RDom r;  // (ci, kx, ky), ci innermost
};
// d_in(ci, x, y, n) = sum over the (co, kx, ky) whose tap lands on (x, y) of w(co, ci, kx, ky) * d_out(co, ox, oy, n)
// A strided 1x1 convolution takes another algorithm: the dense product on the output grid
// (grid, over (ci, ox, oy, n)), scattered to every stride-th input pixel with zeros between.
struct Conv2dBwdData {
  Halide::Func w_t, d_out_clamped, acc, d_in, grid;
  Halide::RDom r;  // (co, kx, ky), restricted to taps that land on the pixel
};
// d_w(co, ci, kx, ky) = sum_{n, oy, ox} d_out(co, ox, oy, n) * padded(ci, ox*sw + kx - pl, oy*sh + ky - pt, n)
// d_b(co)             = sum_{n, oy, ox} d_out(co, ox, oy, n)
struct Conv2dBwdWeights {
  Halide::Func padded, in_blocked, d_out, acc, d_w, d_b;  // d_out: the reads of d_out, for the weight gradient
  Halide::RDom r;  // (ox, oy, n)
};

struct BatchNormTrainFwd {
  Halide::Func sum, mean, sq, var, scale, out;
  Halide::RDom r;  // (x, y, n)
};
struct BatchNormInferFwd { Halide::Func scale, shift, out; };
struct BatchNormBwd {
  Halide::Func inv_std, d_beta, d_gamma, d_in;
  Halide::RDom r;  // (x, y, n)
};

struct PoolFwd { Halide::Func out; };
struct PoolBwd { Halide::Func argmax, d_in; };

struct DenseFwd { Halide::Func acc, out; Halide::RDom r; };       // r over inputs k
struct DenseBwdData { Halide::Func w_t, d_in; Halide::RDom r; };  // r over units u
struct DenseBwdWeights { Halide::Func d_w, d_b; Halide::RDom r; };  // r over the batch

struct SoftmaxFwd { Halide::Func mx, e, total, out; };
struct SoftmaxBwd { Halide::Func dot, d_in; };

void schedule(Conv2dFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(Conv2dBwdData& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(Conv2dBwdWeights& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(BatchNormTrainFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(BatchNormInferFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(BatchNormBwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(PoolFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(PoolBwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(DenseFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(DenseBwdData& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(DenseBwdWeights& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(SoftmaxFwd& s, const KernelSpec& k, const schedules::Machine& m);
void schedule(SoftmaxBwd& s, const KernelSpec& k, const schedules::Machine& m);
// Flat elementwise kernels (activations, add): one output Func over one dimension.
void schedule_elementwise(Halide::Func out);
// An image (c, x, y, n) computed pixel by pixel (padding, pooling, BatchNorm's normalisation):
// channel vectors, and tasks of whole rows of `width` pixels; a (c, n) matrix by samples.
void schedule_rows(Halide::Func out, int width, int channels, const schedules::Machine& m);

}  // namespace cnngen::codegen
