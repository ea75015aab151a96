#include "reference.hpp"

#include <cmath>
#include <limits>

namespace ref {

using cnngen::Act;
using cnngen::Shape;

Vec zeropad(const KernelSpec& k, const Vec& in, int n) {
  const Shape s = k.in, o = k.out;
  Vec out(size_t(n) * o.size(), 0.0f);
  for (int b = 0; b < n; ++b)
    for (int y = 0; y < s.h; ++y)
      for (int x = 0; x < s.w; ++x)
        for (int c = 0; c < s.c; ++c) out[at(o, b, y + k.pad_top, x + k.pad_left, c)] = in[at(s, b, y, x, c)];
  return out;
}

Vec zeropad_bwd(const KernelSpec& k, const Vec& d_out, int n) {
  const Shape s = k.in, o = k.out;
  Vec d_in(size_t(n) * s.size());
  for (int b = 0; b < n; ++b)
    for (int y = 0; y < s.h; ++y)
      for (int x = 0; x < s.w; ++x)
        for (int c = 0; c < s.c; ++c) d_in[at(s, b, y, x, c)] = d_out[at(o, b, y + k.pad_top, x + k.pad_left, c)];
  return d_in;
}

namespace {

// Calls f(b, oy, ox, ky, kx, iy, ix) for every tap of every output pixel that lands inside the input.
template <class F>
void for_each_tap(const KernelSpec& k, int n, F&& f) {
  const Shape s = k.in, o = k.out;
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < o.h; ++oy)
      for (int ox = 0; ox < o.w; ++ox)
        for (int ky = 0; ky < k.kernel.h; ++ky)
          for (int kx = 0; kx < k.kernel.w; ++kx) {
            const int iy = oy * k.strides.h + ky - k.pad_top, ix = ox * k.strides.w + kx - k.pad_left;
            if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) f(b, oy, ox, ky, kx, iy, ix);
          }
}

size_t widx(const KernelSpec& k, int ky, int kx, int ci, int co) {
  return ((size_t(ky) * k.kernel.w + kx) * k.in.c + ci) * k.units + co;
}

}  // namespace

Vec conv2d(const KernelSpec& k, const Vec& in, const Vec& w, const Vec& b, int n) {
  const Shape s = k.in, o = k.out;
  std::vector<double> acc(size_t(n) * o.size(), 0.0);
  for_each_tap(k, n, [&](int bb, int oy, int ox, int ky, int kx, int iy, int ix) {
    for (int co = 0; co < o.c; ++co) {
      double sum = 0;
      for (int ci = 0; ci < s.c; ++ci) sum += double(w[widx(k, ky, kx, ci, co)]) * in[at(s, bb, iy, ix, ci)];
      acc[at(o, bb, oy, ox, co)] += sum;
    }
  });
  Vec out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) out[i] = float(acc[i] + (b.empty() ? 0.0 : b[i % o.c]));
  return out;
}

Vec conv2d_bwd_data(const KernelSpec& k, const Vec& d_out, const Vec& w, int n) {
  const Shape s = k.in, o = k.out;
  std::vector<double> acc(size_t(n) * s.size(), 0.0);
  for_each_tap(k, n, [&](int bb, int oy, int ox, int ky, int kx, int iy, int ix) {
    for (int ci = 0; ci < s.c; ++ci)
      for (int co = 0; co < o.c; ++co)
        acc[at(s, bb, iy, ix, ci)] += double(w[widx(k, ky, kx, ci, co)]) * d_out[at(o, bb, oy, ox, co)];
  });
  return Vec(acc.begin(), acc.end());
}

void conv2d_bwd_weights(const KernelSpec& k, const Vec& in, const Vec& d_out, int n, Vec& d_w, Vec& d_b) {
  const Shape s = k.in, o = k.out;
  std::vector<double> dw(size_t(k.kernel.h) * k.kernel.w * s.c * o.c, 0.0), db(o.c, 0.0);
  for_each_tap(k, n, [&](int bb, int oy, int ox, int ky, int kx, int iy, int ix) {
    for (int ci = 0; ci < s.c; ++ci)
      for (int co = 0; co < o.c; ++co)
        dw[widx(k, ky, kx, ci, co)] += double(in[at(s, bb, iy, ix, ci)]) * d_out[at(o, bb, oy, ox, co)];
  });
  for (int bb = 0; bb < n; ++bb)
    for (int y = 0; y < o.h; ++y)
      for (int x = 0; x < o.w; ++x)
        for (int co = 0; co < o.c; ++co) db[co] += d_out[at(o, bb, y, x, co)];
  d_w.assign(dw.begin(), dw.end());
  d_b.assign(db.begin(), db.end());
}

namespace {

void channel_moments(const KernelSpec& k, const Vec& in, int n, std::vector<double>& mean, std::vector<double>& var) {
  const int c = k.in.c;
  const size_t m = in.size() / c;
  mean.assign(c, 0.0), var.assign(c, 0.0);
  for (size_t i = 0; i < in.size(); ++i) mean[i % c] += in[i];
  for (double& v : mean) v /= double(m);
  for (size_t i = 0; i < in.size(); ++i) var[i % c] += (in[i] - mean[i % c]) * (in[i] - mean[i % c]);
  for (double& v : var) v /= double(m);
  (void)n;
}

}  // namespace

void bn_train(const KernelSpec& k, const Vec& in, const Vec& gamma, const Vec& beta, float eps, int n, Vec& out,
              Vec& mean, Vec& var) {
  std::vector<double> mu, v;
  channel_moments(k, in, n, mu, v);
  const int c = k.in.c;
  out.resize(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = float(gamma[i % c] * (in[i] - mu[i % c]) / std::sqrt(v[i % c] + eps) + beta[i % c]);
  mean.assign(mu.begin(), mu.end());
  var.assign(v.begin(), v.end());
}

Vec bn_infer(const KernelSpec& k, const Vec& in, const Vec& gamma, const Vec& beta, const Vec& mean, const Vec& var,
             float eps, int) {
  const int c = k.in.c;
  Vec out(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = float(gamma[i % c] * (double(in[i]) - mean[i % c]) / std::sqrt(double(var[i % c]) + eps) + beta[i % c]);
  return out;
}

void bn_bwd(const KernelSpec& k, const Vec& in, const Vec& gamma, const Vec& mean, const Vec& var, const Vec& d_out,
            float eps, int, Vec& d_in, Vec& d_gamma, Vec& d_beta) {
  // y = gamma * xhat + beta, xhat = (x - mean) / sqrt(var + eps), with mean and var functions of x:
  // dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)).
  const int c = k.in.c;
  const double m = double(in.size() / c);
  std::vector<double> sum_dy(c, 0.0), sum_dy_xhat(c, 0.0);
  const auto xhat = [&](size_t i) { return (in[i] - double(mean[i % c])) / std::sqrt(double(var[i % c]) + eps); };
  for (size_t i = 0; i < in.size(); ++i) sum_dy[i % c] += d_out[i], sum_dy_xhat[i % c] += d_out[i] * xhat(i);
  d_in.resize(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    d_in[i] = float(gamma[i % c] / std::sqrt(double(var[i % c]) + eps) *
                    (d_out[i] - sum_dy[i % c] / m - xhat(i) * sum_dy_xhat[i % c] / m));
  d_gamma.assign(sum_dy_xhat.begin(), sum_dy_xhat.end());
  d_beta.assign(sum_dy.begin(), sum_dy.end());
}

Vec act(Act a, const Vec& in, int channels) {
  Vec out(in.size());
  if (a == Act::softmax) {
    for (size_t r = 0; r < in.size(); r += channels) {
      double mx = -std::numeric_limits<double>::infinity(), total = 0;
      for (int c = 0; c < channels; ++c) mx = std::max(mx, double(in[r + c]));
      for (int c = 0; c < channels; ++c) total += std::exp(in[r + c] - mx);
      for (int c = 0; c < channels; ++c) out[r + c] = float(std::exp(in[r + c] - mx) / total);
    }
    return out;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const double v = in[i];
    out[i] = float(a == Act::relu ? std::max(v, 0.0) : a == Act::sigmoid ? 1 / (1 + std::exp(-v)) : a == Act::tanh ? std::tanh(v) : v);
  }
  return out;
}

Vec act_bwd(Act a, const Vec& out, const Vec& d_out, int channels) {
  Vec d_in(out.size());
  if (a == Act::softmax) {
    for (size_t r = 0; r < out.size(); r += channels) {
      double dot = 0;
      for (int c = 0; c < channels; ++c) dot += double(out[r + c]) * d_out[r + c];
      for (int c = 0; c < channels; ++c) d_in[r + c] = float(out[r + c] * (d_out[r + c] - dot));
    }
    return d_in;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const double y = out[i], g = d_out[i];
    d_in[i] = float(a == Act::relu ? (y > 0 ? g : 0) : a == Act::sigmoid ? g * y * (1 - y) : a == Act::tanh ? g * (1 - y * y) : g);
  }
  return d_in;
}

namespace {

// Calls f(b, oy, ox, c, iy, ix) for each pixel of each pooling window, row-major within the window;
// with 'same' padding, for the window's pixels inside the image only (padding is no pixel: it
// never wins a maximum and is not counted in an average, as Keras's pools).
template <class F>
void for_each_window_pixel(const KernelSpec& k, int n, F&& f) {
  const Shape s = k.in, o = k.out;
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < o.h; ++oy)
      for (int ox = 0; ox < o.w; ++ox)
        for (int c = 0; c < o.c; ++c)
          for (int ky = 0; ky < k.kernel.h; ++ky)
            for (int kx = 0; kx < k.kernel.w; ++kx) {
              const int iy = oy * k.strides.h + ky - k.pad_top, ix = ox * k.strides.w + kx - k.pad_left;
              if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) f(b, oy, ox, c, iy, ix);
            }
}

// The pixels of each window that lie inside the image.
std::vector<int> window_counts(const KernelSpec& k, int n) {
  std::vector<int> count(size_t(n) * k.out.size(), 0);
  for_each_window_pixel(k, n, [&](int b, int oy, int ox, int c, int, int) { ++count[at(k.out, b, oy, ox, c)]; });
  return count;
}

}  // namespace

Vec maxpool(const KernelSpec& k, const Vec& in, int n) {
  const Shape s = k.in, o = k.out;
  Vec out(size_t(n) * o.size(), -std::numeric_limits<float>::infinity());
  for_each_window_pixel(k, n, [&](int b, int oy, int ox, int c, int iy, int ix) {
    float& m = out[at(o, b, oy, ox, c)];
    m = std::max(m, in[at(s, b, iy, ix, c)]);
  });
  return out;
}

Vec maxpool_bwd(const KernelSpec& k, const Vec& in, const Vec& d_out, int n) {
  const Shape s = k.in, o = k.out;
  Vec d_in(size_t(n) * s.size(), 0.0f);
  const Vec out = maxpool(k, in, n);
  std::vector<char> routed(out.size(), 0);  // the first maximum of each window takes the gradient
  for_each_window_pixel(k, n, [&](int b, int oy, int ox, int c, int iy, int ix) {
    const size_t oi = at(o, b, oy, ox, c);
    if (!routed[oi] && in[at(s, b, iy, ix, c)] == out[oi]) {
      d_in[at(s, b, iy, ix, c)] += d_out[oi];
      routed[oi] = 1;
    }
  });
  return d_in;
}

Vec avgpool(const KernelSpec& k, const Vec& in, int n) {
  const Shape s = k.in, o = k.out;
  std::vector<double> acc(size_t(n) * o.size(), 0.0);
  for_each_window_pixel(k, n, [&](int b, int oy, int ox, int c, int iy, int ix) { acc[at(o, b, oy, ox, c)] += in[at(s, b, iy, ix, c)]; });
  const std::vector<int> count = window_counts(k, n);
  Vec out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) out[i] = float(acc[i] / count[i]);
  return out;
}

Vec avgpool_bwd(const KernelSpec& k, const Vec& d_out, int n) {
  const Shape s = k.in, o = k.out;
  std::vector<double> acc(size_t(n) * s.size(), 0.0);
  const std::vector<int> count = window_counts(k, n);
  for_each_window_pixel(k, n, [&](int b, int oy, int ox, int c, int iy, int ix) {
    acc[at(s, b, iy, ix, c)] += double(d_out[at(o, b, oy, ox, c)]) / count[at(o, b, oy, ox, c)];
  });
  return Vec(acc.begin(), acc.end());
}

Vec dense(const KernelSpec& k, const Vec& in, const Vec& w, const Vec& b, int n) {
  const int K = k.in.c, U = k.units;
  Vec out(size_t(n) * U);
  for (int s = 0; s < n; ++s)
    for (int u = 0; u < U; ++u) {
      double acc = b.empty() ? 0.0 : b[u];
      for (int i = 0; i < K; ++i) acc += double(in[size_t(s) * K + i]) * w[size_t(i) * U + u];
      out[size_t(s) * U + u] = float(acc);
    }
  return out;
}

Vec dense_bwd_data(const KernelSpec& k, const Vec& d_out, const Vec& w, int n) {
  const int K = k.in.c, U = k.units;
  Vec d_in(size_t(n) * K);
  for (int s = 0; s < n; ++s)
    for (int i = 0; i < K; ++i) {
      double acc = 0;
      for (int u = 0; u < U; ++u) acc += double(w[size_t(i) * U + u]) * d_out[size_t(s) * U + u];
      d_in[size_t(s) * K + i] = float(acc);
    }
  return d_in;
}

void dense_bwd_weights(const KernelSpec& k, const Vec& in, const Vec& d_out, int n, Vec& d_w, Vec& d_b) {
  const int K = k.in.c, U = k.units;
  d_w.assign(size_t(K) * U, 0.0f);
  d_b.assign(U, 0.0f);
  for (int i = 0; i < K; ++i)
    for (int u = 0; u < U; ++u) {
      double acc = 0;
      for (int s = 0; s < n; ++s) acc += double(in[size_t(s) * K + i]) * d_out[size_t(s) * U + u];
      d_w[size_t(i) * U + u] = float(acc);
    }
  for (int u = 0; u < U; ++u) {
    double acc = 0;
    for (int s = 0; s < n; ++s) acc += d_out[size_t(s) * U + u];
    d_b[u] = float(acc);
  }
}

}  // namespace ref
