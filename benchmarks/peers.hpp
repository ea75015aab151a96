// What the generated convolutions are measured against: a naive loop nest, oneDNN (the library
// PyTorch's CPU backend uses), and the machine's own peak, all on the geometry of a KernelSpec.
#pragma once
#include <HalideBuffer.h>

#include <memory>
#include <vector>

#include <cnngen/kernel_table.hpp>
#include <cnngen/plan.hpp>

namespace bench {

using Buffer = Halide::Runtime::Buffer<float>;

// Multiply-accumulates of one pass of a convolution for a batch: every tap, padding included.
double conv_macs(const cnngen::KernelSpec& k, int n);

// Peak FP32 FLOP/s of one core on an instruction set: independent chains of its widest
// multiply-adds, measured for `seconds`.
double measure_peak_flops(double seconds, cnngen::Isa isa);

// Sets the threads of Halide's pool and of oneDNN's OpenMP runtime alike.
void set_threads(int threads);

// Time spent inside the tasks of Halide's parallel loops, summed over the threads that ran them,
// from the last take_task_time(): where a kernel's second thread goes. Off until trace_tasks(),
// which routes every task through a timer (two clock reads on tasks of 10-60 us). A parallel loop
// of one iteration runs without the pool: it is not counted.
struct TaskTime {
  double seconds = 0;
  long long tasks = 0;
};
void trace_tasks();
TaskTime take_task_time();

// A generated kernel with its buffers, seeded: run() calls it once.
class CnngenConv {
 public:
  CnngenConv(const cnngen::KernelTable& table, const cnngen::KernelSpec& spec, int n);
  void run();

 private:
  cnngen::KernelFn fn_;
  std::vector<Buffer> buffers_;
  std::vector<void*> args_;
};

// The naive 7-loop NHWC convolution forward (compiled -O3 -march=native), the course's baseline.
class NaiveConv {
 public:
  NaiveConv(const cnngen::KernelSpec& spec, int n);
  void run();

 private:
  cnngen::KernelSpec k_;
  int n_;
  std::vector<float> in_, w_, out_;
};

// oneDNN's direct convolution of the same geometry and pass, in the layouts it picks (format any):
// oneDNN at its best, with reorders outside the timed call.
class OnednnConv {
 public:
  OnednnConv(const cnngen::KernelSpec& spec, int n);
  ~OnednnConv();
  void run();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace bench
