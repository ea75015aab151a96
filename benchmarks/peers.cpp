#include "peers.hpp"

#include <HalideRuntime.h>
#include <immintrin.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <dnnl.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace bench {

using cnngen::Pass;
using cnngen::KernelSpec;

double conv_macs(const KernelSpec& k, int n) {
  const cnngen::Shape o = k.out;
  return double(n) * o.h * o.w * o.c * k.kernel.h * k.kernel.w * k.in.c;
}

namespace {
// Halide's default error handler aborts; a kernel that fails (an autoscheduled twin whose schedule
// Halide rejected, or that reads outside its input) is reported by the benchmark instead, with
// Halide's message.
thread_local std::string halide_message;
extern "C" void keep_halide_error(void*, const char* msg) { halide_message = msg ? msg : ""; }
const bool handler_installed = (halide_set_error_handler(keep_halide_error), true);

std::atomic<long long> task_ns{0}, task_count{0};

extern "C" int timed_do_task(void* user_context, halide_task_t f, int idx, uint8_t* closure) {
  const auto start = std::chrono::steady_clock::now();
  const int result = halide_default_do_task(user_context, f, idx, closure);
  task_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  ++task_count;
  return result;
}
}  // namespace

void trace_tasks() { halide_set_custom_do_task(timed_do_task); }

TaskTime take_task_time() { return {task_ns.exchange(0) * 1e-9, task_count.exchange(0)}; }

void set_threads(int threads) {
  halide_set_num_threads(threads);
  omp_set_num_threads(threads);
}

namespace {

// One function per instruction set (a lambda or template would not inherit the target attribute):
// CHAINS independent chains of LANES-float multiply-adds, enough to hide the latency of two FMA
// pipes in the registers there are, run for `seconds`; returns FLOP/s. Summed through memory at the
// end: GCC 12's _mm512_reduce_add_ps trips its own -Wuninitialized.
#define CNNGEN_PEAK_FUNCTION(NAME, TARGET, VEC, CHAINS, LANES, SET1, MULADD, STORE) \
  __attribute__((target(TARGET))) double NAME(double seconds) {                     \
    VEC acc[CHAINS];                                                                \
    for (int i = 0; i < CHAINS; ++i) acc[i] = SET1(float(i));                       \
    const VEC a = SET1(0.999999f), b = SET1(1e-7f);                                  \
    const auto start = std::chrono::steady_clock::now();                            \
    double elapsed = 0;                                                             \
    long long rounds = 0;                                                           \
    while (elapsed < seconds) {                                                     \
      for (int r = 0; r < 100000; ++r)                                              \
        for (int i = 0; i < CHAINS; ++i) acc[i] = MULADD(acc[i], a, b);             \
      rounds += 100000;                                                             \
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); \
    }                                                                               \
    alignas(64) float lanes[LANES];                                                 \
    float sink = 0;                                                                 \
    for (int i = 0; i < CHAINS; ++i) {                                              \
      STORE(lanes, acc[i]);                                                         \
      for (float v : lanes) sink += v;                                              \
    }                                                                               \
    volatile float keep = sink;                                                     \
    (void)keep;                                                                     \
    return double(rounds) * CHAINS * LANES * 2 / elapsed;                           \
  }

#define CNNGEN_SSE_MULADD(v, a, b) _mm_add_ps(_mm_mul_ps(v, a), b)  // no FMA before AVX2
CNNGEN_PEAK_FUNCTION(peak_avx512, "avx512f,fma", __m512, 16, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_store_ps)
CNNGEN_PEAK_FUNCTION(peak_avx2, "avx2,fma", __m256, 12, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_store_ps)
CNNGEN_PEAK_FUNCTION(peak_sse41, "sse4.1", __m128, 12, 4, _mm_set1_ps, CNNGEN_SSE_MULADD, _mm_store_ps)
#undef CNNGEN_SSE_MULADD
#undef CNNGEN_PEAK_FUNCTION

}  // namespace

double measure_peak_flops(double seconds, cnngen::Isa isa) {
  switch (isa) {
    case cnngen::Isa::sse41: return peak_sse41(seconds);
    case cnngen::Isa::avx2: return peak_avx2(seconds);
    case cnngen::Isa::avx512: break;
  }
  return peak_avx512(seconds);
}

namespace {

Buffer seeded(std::vector<int> dims, std::mt19937& rng) {
  Buffer b(dims);
  std::uniform_real_distribution<float> d(-1, 1);
  for (size_t i = 0; i < b.number_of_elements(); ++i) b.data()[i] = d(rng);
  return b;
}

std::vector<int> image(const cnngen::Shape& s, int n) { return {s.c, s.w, s.h, n}; }

}  // namespace

CnngenConv::CnngenConv(const cnngen::KernelTable& table, const KernelSpec& k, int n) {
  fn_ = table.find(k.name());
  if (!fn_) throw std::invalid_argument("no generated kernel " + k.name());
  std::mt19937 rng(1);
  const cnngen::Shape o = k.out;
  const std::vector<int> w{o.c, k.in.c, k.kernel.w, k.kernel.h};
  switch (k.pass) {
    case Pass::fwd:
      buffers_ = {seeded(image(k.in, n), rng), seeded(w, rng)};
      if (k.use_bias) buffers_.push_back(seeded({o.c}, rng));
      buffers_.push_back(Buffer(image(o, n)));
      break;
    case Pass::bwd_data:
      buffers_ = {seeded(image(o, n), rng), seeded(w, rng), Buffer(image(k.in, n))};
      break;
    case Pass::bwd_weights:
      buffers_ = {seeded(image(k.in, n), rng), seeded(image(o, n), rng), Buffer(w)};
      if (k.use_bias) buffers_.push_back(Buffer(o.c));
      break;
    case Pass::bn_infer_fwd:  // in, w_blocked (1-D; random values, so any order), scale, shift, [residual], out
      buffers_ = {seeded(image(k.in, n), rng), seeded({o.c * k.in.c * k.kernel.w * k.kernel.h}, rng),
                  seeded({o.c}, rng), seeded({o.c}, rng)};
      if (k.residual) buffers_.push_back(seeded(image(o, n), rng));
      buffers_.push_back(Buffer(image(o, n)));
      break;
    default:
      throw std::invalid_argument("not a convolution: " + k.name());
  }
  for (Buffer& b : buffers_) args_.push_back(b.raw_buffer());
}

void CnngenConv::run() {
  if (fn_(args_.data()) != 0) throw std::runtime_error("generated kernel failed: " + halide_message);
}

NaiveConv::NaiveConv(const KernelSpec& k, int n) : k_(k), n_(n) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> d(-1, 1);
  in_.resize(size_t(n) * k.in.size());
  w_.resize(size_t(k.kernel.h) * k.kernel.w * k.in.c * k.units);
  out_.resize(size_t(n) * k.out.size());
  for (float& v : in_) v = d(rng);
  for (float& v : w_) v = d(rng);
}

void NaiveConv::run() {
  const cnngen::Shape s = k_.in, o = k_.out;
  for (int b = 0; b < n_; ++b)
    for (int oy = 0; oy < o.h; ++oy)
      for (int ox = 0; ox < o.w; ++ox)
        for (int co = 0; co < o.c; ++co) {
          float acc = 0;
          for (int ky = 0; ky < k_.kernel.h; ++ky)
            for (int kx = 0; kx < k_.kernel.w; ++kx) {
              const int iy = oy * k_.strides.h + ky - k_.pad_top, ix = ox * k_.strides.w + kx - k_.pad_left;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              for (int ci = 0; ci < s.c; ++ci)
                acc += in_[((size_t(b) * s.h + iy) * s.w + ix) * s.c + ci] *
                       w_[((size_t(ky) * k_.kernel.w + kx) * s.c + ci) * o.c + co];
            }
          out_[((size_t(b) * o.h + oy) * o.w + ox) * o.c + co] = acc;
        }
}

struct OnednnConv::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
};

OnednnConv::OnednnConv(const KernelSpec& k, int n) : s_(std::make_unique<State>()) {
  using namespace dnnl;
  using tag = memory::format_tag;
  const cnngen::Shape o = k.out;
  const memory::dims src{n, k.in.c, k.in.h, k.in.w}, wts{o.c, k.in.c, k.kernel.h, k.kernel.w}, bias{o.c},
      dst{n, o.c, o.h, o.w}, strides{k.strides.h, k.strides.w}, pad_l{k.pad_top, k.pad_left},
      pad_r{k.pad_bottom, k.pad_right};
  const auto any = [](const memory::dims& d) { return memory::desc(d, memory::data_type::f32, tag::any); };
  const auto fwd_desc = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, any(src),
                                                  any(wts), any(bias), any(dst), strides, pad_l, pad_r);
  const convolution_forward::primitive_desc fwd_pd(fwd_desc, s_->engine);
  std::mt19937 rng(3);
  const auto filled = [&](const memory::desc& md) {
    memory m(md, s_->engine);
    float* p = static_cast<float*>(m.get_data_handle());
    std::uniform_real_distribution<float> d(-1, 1);
    for (size_t i = 0; i < md.get_size() / sizeof(float); ++i) p[i] = d(rng);
    return m;
  };
  switch (k.pass) {
    case Pass::fwd: {
      // A Conv2D's own activation (Keras's activation=), which the generated forward applies to its
      // tiles, as oneDNN's post-op.
      post_ops ops;
      if (k.act == cnngen::Act::relu) ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
      if (k.act == cnngen::Act::sigmoid) ops.append_eltwise(1.0f, algorithm::eltwise_logistic, 0.0f, 0.0f);
      if (k.act == cnngen::Act::tanh) ops.append_eltwise(1.0f, algorithm::eltwise_tanh, 0.0f, 0.0f);
      primitive_attr attr;
      attr.set_post_ops(ops);
      const convolution_forward::primitive_desc pd(fwd_desc, attr, s_->engine);
      s_->primitive = convolution_forward(pd);
      s_->args = {{DNNL_ARG_SRC, filled(pd.src_desc())}, {DNNL_ARG_WEIGHTS, filled(pd.weights_desc())},
                  {DNNL_ARG_BIAS, filled(pd.bias_desc())}, {DNNL_ARG_DST, filled(pd.dst_desc())}};
      break;
    }
    case Pass::bn_infer_fwd: {
      // The BatchNorm folded into the weights and bias (as a deployed model has it), the residual as
      // oneDNN fuses one (a sum post-op: the destination holds the residual and is added in place),
      // then the activation.
      post_ops ops;
      if (k.residual) ops.append_sum(1.0f);
      if (k.act == cnngen::Act::relu) ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
      primitive_attr attr;
      attr.set_post_ops(ops);
      const convolution_forward::primitive_desc pd(
          convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct, any(src), any(wts),
                                    any(bias), any(dst), strides, pad_l, pad_r),
          attr, s_->engine);
      s_->primitive = convolution_forward(pd);
      s_->args = {{DNNL_ARG_SRC, filled(pd.src_desc())}, {DNNL_ARG_WEIGHTS, filled(pd.weights_desc())},
                  {DNNL_ARG_BIAS, filled(pd.bias_desc())}, {DNNL_ARG_DST, filled(pd.dst_desc())}};
      break;
    }
    case Pass::bwd_data: {
      const convolution_backward_data::primitive_desc pd(
          convolution_backward_data::desc(algorithm::convolution_direct, any(src), any(wts), any(dst), strides, pad_l, pad_r),
          s_->engine, fwd_pd);
      s_->primitive = convolution_backward_data(pd);
      s_->args = {{DNNL_ARG_DIFF_DST, filled(pd.diff_dst_desc())}, {DNNL_ARG_WEIGHTS, filled(pd.weights_desc())},
                  {DNNL_ARG_DIFF_SRC, filled(pd.diff_src_desc())}};
      break;
    }
    case Pass::bwd_weights: {
      const convolution_backward_weights::primitive_desc pd(
          convolution_backward_weights::desc(algorithm::convolution_direct, any(src), any(wts), any(bias), any(dst),
                                             strides, pad_l, pad_r),
          s_->engine, fwd_pd);
      s_->primitive = convolution_backward_weights(pd);
      s_->args = {{DNNL_ARG_SRC, filled(pd.src_desc())}, {DNNL_ARG_DIFF_DST, filled(pd.diff_dst_desc())},
                  {DNNL_ARG_DIFF_WEIGHTS, filled(pd.diff_weights_desc())}, {DNNL_ARG_DIFF_BIAS, filled(pd.diff_bias_desc())}};
      break;
    }
    default:
      throw std::invalid_argument("not a convolution: " + k.name());
  }
}

OnednnConv::~OnednnConv() = default;

void OnednnConv::run() {
  s_->primitive.execute(s_->stream, s_->args);
  s_->stream.wait();
}

}  // namespace bench
