// The whole generated ResNet50: a training step (forward, loss, backward, Adam) and inference, in
// images per second, at batch 32 and 1, on 1 and 2 threads; peak resident memory of the process.
//   resnet50_train/cnngen/n32_t1 ...   counters: img_per_s, peak_rss_MiB
// Run one benchmark per process (--benchmark_filter) for a clean peak_rss_MiB. With CNNGEN_PROFILE=1,
// each benchmark also prints the time of each kernel (the profile RESULTS.md's analysis cites).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <resnet50.hpp>

#include <cnngen/model.hpp>

#include "../examples/resnet50/model.hpp"
#include "peers.hpp"

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

void run(benchmark::State& state, bool train, int n, int threads) {
  bench::set_threads(threads);
  cnngen::Model model(resnet50::model, cnngen::generated::resnet50());
  model.compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(0, 1);
  std::vector<float> x(size_t(n) * 64 * 64 * 3);
  for (float& v : x) v = d(rng);
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) y[i] = i % 6;
  const auto step = [&] {
    if (train) model.train_on_batch(x.data(), y, n);
    else benchmark::DoNotOptimize(model.network().forward(x.data(), n, false).data());
  };
  step();
  for (auto _ : state) step();
  state.counters["img_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
  if (std::getenv("CNNGEN_PROFILE")) std::cerr << model.network().profile_report();
}

}  // namespace

// Every one-thread case runs before the first two-thread one: halide_set_num_threads cannot take a
// process back from two threads to one (the worker created for two keeps taking tasks: inference
// "on one thread" measured 320 images/s after a two-thread case, 165-210 before one).
int main(int argc, char** argv) {
  benchmark::AddCustomContext("cnngen_kernels", cnngen::isa_report(cnngen::generated::resnet50().isas, "resnet50"));
  for (int threads : {1, 2})
    for (bool train : {true, false})
      for (int n : {32, 1}) {
        const std::string name = std::string(train ? "resnet50_train" : "resnet50_infer") + "/cnngen/n:" + std::to_string(n) +
                                 "/t:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) { run(state, train, n, threads); })
            ->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
      }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
