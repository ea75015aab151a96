// Input and Flatten run no kernels (the run time fills the Input and views Flatten's input with
// the new shape): asking for one is a planner bug.
#include <stdexcept>

#include "kernel.hpp"

namespace cnngen::codegen {

namespace {
BuiltKernel no_kernels(const KernelSpec& spec) {
  throw std::logic_error("layer kind " + std::string(unit_names[static_cast<int>(spec.op)]) + " runs no kernel");
}
}  // namespace

BuiltKernel build_input(const KernelSpec& spec, const schedules::Machine*) { return no_kernels(spec); }
BuiltKernel build_flatten(const KernelSpec& spec, const schedules::Machine*) { return no_kernels(spec); }

}  // namespace cnngen::codegen
