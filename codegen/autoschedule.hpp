// Scheduling a kernel with one of Halide 14's autoscheduler plugins (the benchmarks' `cnngen_auto`).
#pragma once
#include <cstdint>
#include <string>

#include "kernel.hpp"

namespace cnngen::codegen {

struct Autoscheduler {
  std::string name = "Adams2019";  // as the plugin registers it
  std::string plugin;              // path of the plugin library, e.g. .../libautoschedule_adams2019.so
  int beam_size = 1;
  int batch = 32;                  // the estimate of every batch dimension
  // Halide's MachineParams, as HALIDE14.md ran them: 2 cores, a 16 MiB last-level cache, balance 40.
  int cores = 2;
  uint64_t last_level_cache = 16u << 20;
  float balance = 40;
};

// k must be the bare algorithm: build_kernel(spec, nullptr).
void autoschedule(BuiltKernel& k, const Autoscheduler& a, const Halide::Target& target);

// A kernel with k's arguments that fails at run time with `why`: the twin of a kernel whose
// autoscheduled pipeline Halide could not compile (the benchmarks report it as an error).
BuiltKernel unschedulable(const BuiltKernel& k, const std::string& why);

}  // namespace cnngen::codegen
