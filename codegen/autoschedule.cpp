// The autoscheduled twin of a kernel: the bare algorithm (build_kernel(spec, nullptr)) scheduled by one
// of Halide's autoschedulers instead of schedules/. Built for the benchmarks only (implementation
// `cnngen_auto`), to show what the hand schedules are worth against the tool a Halide user would
// reach for first.
#include "autoschedule.hpp"

#include <cstdlib>
#include <set>
#include <stdexcept>

namespace cnngen::codegen {

using namespace Halide;

namespace {

// The estimate of every dimension: its fixed extent (kernel.cpp's constraints), else the batch.
Region estimates_of(const Internal::Parameter& p, int batch) {
  Region r;
  for (int d = 0; d < p.dimensions(); ++d) {
    const Expr e = p.extent_constraint(d);
    const int64_t* extent = e.defined() ? Internal::as_const_int(e) : nullptr;
    r.push_back(Range(0, extent ? static_cast<int>(*extent) : batch));
  }
  return r;
}

}  // namespace

void autoschedule(BuiltKernel& k, const Autoscheduler& a, const Target& target) {
  static std::set<std::string> loaded;
  if (loaded.insert(a.plugin).second) load_plugin(a.plugin);
  // Adams2019 reads its beam width from the environment; the default (32) takes minutes and
  // gigabytes per kernel and measured no better on these pipelines (HALIDE14.md).
  setenv("HL_BEAM_SIZE", std::to_string(a.beam_size).c_str(), 1);
  for (KernelInput& in : k.inputs) {
    if (in.image) in.image->set_estimates(estimates_of(in.image->parameter(), a.batch));
    if (in.scalar) in.scalar->set_estimate(1e-3f);
  }
  for (Func out : k.pipeline.outputs()) out.set_estimates(estimates_of(out.output_buffer().parameter(), a.batch));
  k.pipeline.auto_schedule(a.name, target, MachineParams(a.cores, a.last_level_cache, a.balance));
}

BuiltKernel unschedulable(const BuiltKernel& k, const std::string& why) {
  // A requirement no call meets (a batch extent below zero): the kernel compiles, with Halide
  // warning that it will fail, and every call fails with `why`.
  const ImageParam& first = *k.inputs.front().image;
  const Expr never = first.dim(first.dimensions() - 1).extent() < 0;
  std::vector<Func> outs;
  for (const Func& f : k.pipeline.outputs()) {
    Func g(f.name() + "_unschedulable");
    g(f.args()) = require(never, cast(f.output_types()[0], 0), why);
    outs.push_back(g);
  }
  return {Pipeline(outs), k.inputs};
}

}  // namespace cnngen::codegen
