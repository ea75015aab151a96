// Convolutions, generated against the naive loop nest and oneDNN, side by side in one run.
//   course_conv5x5/{cnngen,cnngen_auto,naive,onednn}/...     the course's 28x28x192 -> 32 5x5 'same', N=32
//   course_bottleneck/{cnngen,cnngen_auto,naive,onednn}/...  1x1 192->16 then 5x5 16->32, N=32
//   resnet50_{fwd,bwd_data,bwd_weights}/{cnngen,cnngen_auto,onednn}/<kernel>   every distinct ResNet50 conv, N=32
//   resnet50_infer_fwd/{cnngen,onednn}/<kernel>   the inference forwards with BatchNorm (Add, ReLU) applied
//   {lenet5,alexnet,vgg16,inception}_{fwd,bwd_data,bwd_weights}/cnngen/<kernel>   every distinct
//       convolution of the course's zoo (the Inception module on 28x28x192), paired with oneDNN;
//       N=32, AlexNet and VGG-16 N=8 (a VGG-16 forward at N=32 is 0.5 TFLOP)
// cnngen is the hand-scheduled kernel; cnngen_auto its twin scheduled by Adams2019 (beam 1).
// Counters: GFLOPS (2 per multiply-accumulate, padding taps counted), pct_peak (of the peak this
// binary measures at start-up for the ISA its kernels run, also reported as peak/<isa>/core), MACs_per_image; and on the
// cnngen benchmarks vs_onednn, the ratio of GFLOP/s to oneDNN's in calls alternating with it.
// Threads: CNNGEN_BENCH_THREADS (default 1), for Halide and oneDNN alike.
// CNNGEN_BENCH_TASKS=1 adds to the cnngen benchmarks the mean time of a task of the kernel's
// parallel loops (task_us) and the share of the threads' time spent in tasks (busy_pct): a task
// that takes longer on two threads than on one is each core slowed by the other; busy_pct under
// 100 is time outside tasks (the kernel's serial parts and one-iteration loops, the pool's
// start-up, the last task's imbalance).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <unistd.h>
#include <resnet50.hpp>
#include <bench_auto.hpp>
#include <bench_course.hpp>

#include <alexnet.hpp>
#include <inception.hpp>
#include <lenet5.hpp>
#include <vgg16.hpp>

#include "../examples/alexnet/model.hpp"
#include "../examples/inception/model.hpp"
#include "../examples/lenet5/model.hpp"
#include "../examples/resnet50/model.hpp"
#include "../examples/vgg16/model.hpp"
#include "course_layers.hpp"
#include "peers.hpp"

namespace {

using cnngen::Pass;
using cnngen::KernelSpec;

double g_peak = 0;
int g_threads = 1;
bool g_trace_tasks = false;

// GFLOPS and pct_peak per second of the benchmark's time (real or manual), for every implementation.
void set_counters(benchmark::State& state, double macs_batch, double macs_image) {
  state.counters["GFLOPS"] = benchmark::Counter(2 * macs_batch * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["pct_peak"] = benchmark::Counter(2 * macs_batch / (g_peak * g_threads) * 100,
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MACs_per_image"] = macs_image;
}

// The generated kernel and oneDNN alternating call by call in one loop, each call timed: the
// benchmark's time is the generated kernel's calls, and `vs_onednn` is oneDNN's time over them, the
// ratio of their GFLOP/s. This VM's speed drifts by 10-20% within seconds (repetitions of one
// benchmark vary by 11%, the median coefficient of variation): kernels timed in separate
// benchmarks, even interleaved, took that drift into their ratios, and paired calls leave it out.
// The order within a pair alternates, so neither always runs on the caches the other left.
void register_paired(const std::string& name, std::function<std::unique_ptr<bench::CnngenConv>()> make,
                     const KernelSpec& k, int n, double macs_batch, double macs_image) {
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    bench::set_threads(g_threads);
    std::unique_ptr<bench::CnngenConv> conv = make();
    auto peer = std::make_unique<bench::OnednnConv>(k, n);
    try {
      conv->run(), peer->run();  // warm: first-touch of buffers, oneDNN's JIT
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    using clock = std::chrono::steady_clock;
    const auto timed = [](auto& c) {
      const auto t0 = clock::now();
      c.run();
      return std::chrono::duration<double>(clock::now() - t0).count();
    };
    bench::take_task_time();  // from here on, the generated kernel's tasks only (oneDNN's are OpenMP's)
    double own = 0, theirs = 0;
    bool first = true;
    for (auto _ : state) {
      double t;
      if (first) t = timed(*conv), theirs += timed(*peer);
      else theirs += timed(*peer), t = timed(*conv);
      own += t, first = !first;
      state.SetIterationTime(t);
    }
    set_counters(state, macs_batch, macs_image);
    state.counters["vs_onednn"] = theirs / own;
    if (g_trace_tasks) {
      const bench::TaskTime tasks = bench::take_task_time();
      state.counters["task_us"] = tasks.tasks ? tasks.seconds / tasks.tasks * 1e6 : 0;
      state.counters["busy_pct"] = own > 0 ? 100 * tasks.seconds / (own * g_threads) : 0;
    }
  })->Unit(benchmark::kMillisecond)->UseManualTime();
}

template <class Conv>
void register_conv(const std::string& name, std::function<std::unique_ptr<Conv>()> make, double macs_batch,
                   double macs_image) {
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    bench::set_threads(g_threads);
    std::unique_ptr<Conv> conv = make();
    try {
      conv->run();  // warm: first-touch of buffers, oneDNN's JIT
    } catch (const std::exception& e) {  // a twin whose Adams2019 schedule fails (peers.cpp)
      state.SkipWithError(e.what());
      return;
    }
    for (auto _ : state) conv->run();
    set_counters(state, macs_batch, macs_image);
  })->Unit(benchmark::kMillisecond)->UseRealTime();
}

// Which benchmarks a shape gets besides the pair of the generated kernel and oneDNN.
struct Extras {
  bool naive = false, twin = true, peer_alone = true;
};

void register_shape(const std::string& suite, const std::string& shape, const cnngen::KernelTable& table,
                    const KernelSpec& k, int n, Extras extras) {
  const double macs = bench::conv_macs(k, n), per_image = bench::conv_macs(k, 1);
  const std::string tail = "/" + shape + "_n" + std::to_string(n) + "_t" + std::to_string(g_threads);
  register_paired(suite + "/cnngen" + tail, [=, &table] { return std::make_unique<bench::CnngenConv>(table, k, n); }, k, n,
                  macs, per_image);
  const cnngen::KernelTable& twins = cnngen::generated::bench_auto();
  if (extras.twin)
    register_conv<bench::CnngenConv>(suite + "/cnngen_auto" + tail, [=, &twins] { return std::make_unique<bench::CnngenConv>(twins, k, n); },
                                     macs, per_image);
  if (extras.naive)
    register_conv<bench::NaiveConv>(suite + "/naive" + tail, [=] { return std::make_unique<bench::NaiveConv>(k, n); }, macs, per_image);
  if (extras.peer_alone)
    register_conv<bench::OnednnConv>(suite + "/onednn" + tail, [=] { return std::make_unique<bench::OnednnConv>(k, n); }, macs, per_image);
}

// A kernel's shape label: its name without the pass, "conv2d_15x15x64_to_15x15x64_u64_k3x3_s1x1_p1_1_1_1".
std::string shape_of(const KernelSpec& k) {
  return k.name().substr(0, k.name().rfind(std::string("_") + cnngen::pass_names[int(k.pass)]));
}

// Whether a layer before node (on its inputs' side) has parameters: else nothing needs the gradient
// of node's input, and its backward-data kernel never runs (ResNet50's conv1, after the padding).
bool gradient_flows_into(cnngen::GraphView g, int node) {
  std::vector<int> stack(g.nodes[node].input_nodes().begin(), g.nodes[node].input_nodes().end());
  std::vector<bool> visited(g.nodes.size());
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    if (visited[i]) continue;
    visited[i] = true;
    if (cnngen::params(g.nodes[i]) > 0) return true;
    for (int in : g.nodes[i].input_nodes()) stack.push_back(in);
  }
  return false;
}

// Every distinct convolution kernel of a model, each pass a suite "<prefix>_<pass>"; `seen` shared
// across models, so a kernel two models share is measured once.
void register_convolutions(const std::string& prefix, cnngen::GraphView g, const cnngen::KernelTable& table, int n,
                           Extras extras, std::vector<std::string>& seen) {
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i) {
    const cnngen::Node& node = g.nodes[i];
    if (node.op != cnngen::Op::conv2d || !node.reaches_output) continue;
    const cnngen::NodeKernels kernels = cnngen::kernels_of(g, i);
    for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
      const KernelSpec k = *kernels.find(cnngen::Op::conv2d, pass);
      if (std::find(seen.begin(), seen.end(), k.name()) != seen.end()) continue;
      if (pass == Pass::bwd_data && !gradient_flows_into(g, i)) continue;
      seen.push_back(k.name());
      register_shape(prefix + "_" + cnngen::pass_names[int(pass)], shape_of(k), table, k, n, extras);
    }
  }
}

// The kernel of the convolution named `name` in g, for one pass.
KernelSpec conv_named(cnngen::GraphView g, std::string_view name, Pass pass) {
  for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i)
    if (g.nodes[i].name.view() == name) return *cnngen::kernels_of(g, i).find(cnngen::Op::conv2d, pass);
  throw std::invalid_argument("no layer " + std::string(name));
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* t = std::getenv("CNNGEN_BENCH_THREADS")) g_threads = std::max(1, std::atoi(t));
  // oneDNN's OpenMP workers spin after each call (GNU OpenMP's default), and in a pair the spinning
  // worker holds the second core while the generated kernel runs: on two threads three fused
  // forwards gained 1.00-1.24x over one thread with it, 1.35-1.66x with passive waits (Halide's
  // workers sleep between calls too). libgomp reads the policy when it loads, before main: the
  // benchmark starts itself again with it set, unless the user chose one.
  if (g_threads > 1 && !std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    std::perror("bench_conv: cannot restart itself with OMP_WAIT_POLICY=PASSIVE");
    return 1;
  }
  if (const char* t = std::getenv("CNNGEN_BENCH_TASKS"); t && std::atoi(t) != 0) bench::trace_tasks(), g_trace_tasks = true;
  // The kernels run the instruction set CNNGEN_MAX_ISA allows (the best this CPU has without it);
  // oneDNN is limited the same way with DNNL_MAX_CPU_ISA. The peak is that ISA's.
  const cnngen::Isa isa = cnngen::generated::resnet50().isa();
  benchmark::AddCustomContext("cnngen_kernels", cnngen::isa_report(cnngen::generated::resnet50().isas, "resnet50"));
  if (const char* d = std::getenv("DNNL_MAX_CPU_ISA")) benchmark::AddCustomContext("DNNL_MAX_CPU_ISA", d);
  g_peak = bench::measure_peak_flops(0.5, isa);
  const std::string peak_name = "peak/" + std::string(cnngen::isa_info(isa).name) + "/core";
  benchmark::RegisterBenchmark(peak_name.c_str(), [isa](benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(bench::measure_peak_flops(0.05, isa));
    state.counters["GFLOPS"] = g_peak * 1e-9;
  })->Iterations(1);

  const int n = 32;
  const cnngen::KernelTable& course = cnngen::generated::bench_course();
  const KernelSpec c5 = conv_named(course_layers::conv5x5, "conv5x5", Pass::fwd);
  register_shape("course_conv5x5", "28x28x192_to32_5x5", course, c5, n, {.naive = true});
  const KernelSpec b1 = conv_named(course_layers::bottleneck, "bottleneck1x1", Pass::fwd);
  const KernelSpec b5 = conv_named(course_layers::bottleneck, "conv5x5", Pass::fwd);
  register_shape("course_bottleneck", "1x1_192to16", course, b1, n, {.naive = true});
  register_shape("course_bottleneck", "5x5_16to32", course, b5, n, {.naive = true});

  std::vector<std::string> seen;
  const cnngen::GraphView resnet(resnet50::model);
  // Inference: the forward with the BatchNorm, Add and ReLU that follow it applied to its tiles
  // (fusion.hpp's inference_fusion), against oneDNN's convolution with the same post-ops.
  for (int i = 0; i < static_cast<int>(resnet.nodes.size()); ++i) {
    if (resnet.nodes[i].op != cnngen::Op::conv2d) continue;
    const KernelSpec* fused = cnngen::kernels_of(resnet, i).find(cnngen::Op::conv2d, Pass::bn_infer_fwd);
    if (fused && std::find(seen.begin(), seen.end(), fused->name()) == seen.end()) {
      seen.push_back(fused->name());
      register_shape("resnet50_infer_fwd", shape_of(*fused), cnngen::generated::resnet50(), *fused, n, {.twin = false});
    }
  }
  register_convolutions("resnet50", resnet, cnngen::generated::resnet50(), n, {}, seen);
  // The course's zoo: no autoscheduled twins, and oneDNN only in the pairs (vs_onednn).
  const Extras zoo{.twin = false, .peer_alone = false};
  register_convolutions("lenet5", lenet5::model, cnngen::generated::lenet5(), n, zoo, seen);
  register_convolutions("alexnet", alexnet::model, cnngen::generated::alexnet(), 8, zoo, seen);
  register_convolutions("vgg16", vgg16::model, cnngen::generated::vgg16(), 8, zoo, seen);
  register_convolutions("inception", inception::module, cnngen::generated::inception(), n, zoo, seen);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
