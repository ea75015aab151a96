// The data-parallel ResNet50 training step and its parts, measured side by side in one loop:
//   build/bin/bench_distributed                                             1 process x 2 threads
//   mpirun --allow-run-as-root -np 2 build/bin/bench_distributed            2 processes x 1 thread, shared memory
//   mpirun --allow-run-as-root -np 2 --mca btl self,tcp build/bin/...       the same over TCP on loopback
// Each iteration times, on every rank between barriers:
//   step:      train_on_batch of the global batch of 32 across the ranks (the gradients summed in
//              buckets while backward runs, BatchNorm synchronised; micro:8, the deterministic mode)
//   compute:   the same step of this rank's share alone, without any communication
//   allreduce: one blocking MPI_Allreduce of all 23.5 M gradients
// and reports rank 0's. hidden_pct = (compute + allreduce - step) / allreduce: the share of the
// allreduce the overlap hides (negative: the step costs more than its parts, e.g. the BatchNorm
// synchronisation). Every rank runs the same fixed number of iterations, as collectives require.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <random>
#include <resnet50.hpp>
#include <string>
#include <thread>
#include <vector>

#include <cnngen/communicator.hpp>
#include <cnngen/model.hpp>

#include "../examples/resnet50/model.hpp"
#include "peers.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Every rank here before any goes on.
void barrier(cnngen::Communicator& comm) {
  double token = 0;
  comm.sum(std::span(&token, 1));
}

std::unique_ptr<cnngen::Model> resnet50_model(cnngen::Communicator& comm, int micro_batch) {
  auto m = std::make_unique<cnngen::Model>(resnet50::model, cnngen::generated::resnet50());
  m->set_communicator(comm);
  m->set_micro_batch(micro_batch);
  m->compile(std::make_unique<cnngen::Adam>(), cnngen::LossKind::categorical_crossentropy);
  return m;
}

void step_parts(benchmark::State& state) {
  cnngen::Communicator& comm = cnngen::world();
  const int n = static_cast<int>(state.range(0)), micro_batch = static_cast<int>(state.range(1));
  // The share alone is the plain step (no micro-batches): what the deterministic mode costs shows.
  auto global = resnet50_model(comm, micro_batch), alone = resnet50_model(cnngen::single_process(), 0);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(0, 1);
  const int64_t sample = 64 * 64 * 3;
  std::vector<float> x(size_t(n) * sample);
  for (float& v : x) v = d(rng);
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) y[i] = i % 6;
  const cnngen::Share share = global->share_for(n);
  std::vector<float> gradients(23'546'886, 1.0f);
  const auto alone_step = [&] { alone->train_on_batch(x.data() + share.begin * sample, std::span(y).subspan(share.begin, share.size()), share.size()); };
  for (int warm = 0; warm < 3; ++warm) {  // buffers, Adam's slots, MPI's connections, the pages behind them
    global->train_on_batch(x.data(), y, n);
    alone_step();
    comm.sum(gradients);
  }
  double step = 0, compute = 0, allreduce = 0;
  for (auto _ : state) {
    barrier(comm);
    auto t = Clock::now();
    global->train_on_batch(x.data(), y, n);
    const double s = seconds_since(t);
    barrier(comm);
    t = Clock::now();
    alone_step();
    compute += seconds_since(t);
    barrier(comm);
    t = Clock::now();
    comm.sum(gradients);
    allreduce += seconds_since(t);
    step += s;
    state.SetIterationTime(s);
  }
  const double k = static_cast<double>(state.iterations());
  state.counters["ranks"] = comm.size();
  state.counters["step_ms"] = 1e3 * step / k;
  state.counters["compute_ms"] = 1e3 * compute / k;
  state.counters["allreduce_ms"] = 1e3 * allreduce / k;
  state.counters["hidden_pct"] = comm.size() > 1 ? 100 * (compute + allreduce - step) / allreduce : 0.0;
  state.counters["img_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  cnngen::Communicator& comm = cnngen::world();
  // The cores of this machine shared among its ranks, unless CNNGEN_BENCH_THREADS says otherwise.
  const char* forced = std::getenv("CNNGEN_BENCH_THREADS");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = forced && *forced ? std::atoi(forced) : std::max(1, cores / comm.local_size());
  bench::set_threads(threads);
  benchmark::AddCustomContext("cnngen_kernels", cnngen::isa_report(cnngen::generated::resnet50().isas, "resnet50"));
  benchmark::AddCustomContext("processes_x_threads", std::to_string(comm.size()) + "x" + std::to_string(threads));
  const char* count_env = std::getenv("CNNGEN_BENCH_ITERATIONS");  // the same on every rank
  const int iterations = count_env && *count_env ? std::max(1, std::atoi(count_env)) : 10;
  // micro 0: the plain data-parallel step; micro 8: the deterministic mode's (4 micro-batches).
  benchmark::RegisterBenchmark("resnet50_step_parts", step_parts)
      ->ArgNames({"n", "micro"})->Args({32, 0})->Args({32, 8})->Iterations(iterations)->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  // Rank 0 reports; the others run the same benchmarks silently (and write no --benchmark_out).
  std::vector<char*> args(argv, argv + argc);
  if (comm.rank() != 0) std::erase_if(args, [](const char* a) { return std::strncmp(a, "--benchmark_out", 15) == 0; });
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  struct Silent : benchmark::BenchmarkReporter {
    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>&) override {}
  } silent;
  if (comm.rank() == 0) benchmark::RunSpecifiedBenchmarks();
  else benchmark::RunSpecifiedBenchmarks(&silent);
  benchmark::Shutdown();
}
