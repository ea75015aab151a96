// Naive references of every layer kind, forward and backward: the loops as a textbook writes them,
// accumulating in double, sharing no code with the generator. Tensors are NHWC float vectors; the
// geometry comes from a KernelSpec (in shape, filters, window, strides, explicit padding).
#pragma once
#include <vector>

#include <cnngen/plan.hpp>

namespace ref {

using cnngen::KernelSpec;
using Vec = std::vector<float>;

inline size_t at(const cnngen::Shape& s, int n, int y, int x, int c) {
  return ((size_t(n) * s.h + y) * s.w + x) * s.c + c;
}

Vec zeropad(const KernelSpec& k, const Vec& in, int n);
Vec zeropad_bwd(const KernelSpec& k, const Vec& d_out, int n);

// w: Keras (kh, kw, cin, cout); b may be empty (no bias).
Vec conv2d(const KernelSpec& k, const Vec& in, const Vec& w, const Vec& b, int n);
Vec conv2d_bwd_data(const KernelSpec& k, const Vec& d_out, const Vec& w, int n);
void conv2d_bwd_weights(const KernelSpec& k, const Vec& in, const Vec& d_out, int n, Vec& d_w, Vec& d_b);

void bn_train(const KernelSpec& k, const Vec& in, const Vec& gamma, const Vec& beta, float eps, int n, Vec& out,
              Vec& mean, Vec& var);
Vec bn_infer(const KernelSpec& k, const Vec& in, const Vec& gamma, const Vec& beta, const Vec& mean, const Vec& var,
             float eps, int n);
void bn_bwd(const KernelSpec& k, const Vec& in, const Vec& gamma, const Vec& mean, const Vec& var, const Vec& d_out,
            float eps, int n, Vec& d_in, Vec& d_gamma, Vec& d_beta);

// Elementwise activations; softmax over the last (channel) axis of `channels`.
Vec act(cnngen::Act a, const Vec& in, int channels);
Vec act_bwd(cnngen::Act a, const Vec& out, const Vec& d_out, int channels);

Vec maxpool(const KernelSpec& k, const Vec& in, int n);
Vec maxpool_bwd(const KernelSpec& k, const Vec& in, const Vec& d_out, int n);
Vec avgpool(const KernelSpec& k, const Vec& in, int n);
Vec avgpool_bwd(const KernelSpec& k, const Vec& d_out, int n);

// w: Keras (in, units).
Vec dense(const KernelSpec& k, const Vec& in, const Vec& w, const Vec& b, int n);
Vec dense_bwd_data(const KernelSpec& k, const Vec& d_out, const Vec& w, int n);
void dense_bwd_weights(const KernelSpec& k, const Vec& in, const Vec& d_out, int n, Vec& d_w, Vec& d_b);

}  // namespace ref
