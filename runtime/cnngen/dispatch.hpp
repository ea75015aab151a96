// Which variant of the generated kernels runs. Every kernel is generated once per instruction set of
// CNNGEN_TARGETS (dsl/cnngen/isa.hpp); a process runs the highest one that its kernel table holds,
// this CPU runs and CNNGEN_MAX_ISA (sse41, avx2 or avx512) allows. One choice for every kernel of
// the process: the layouts one kernel writes for another (conv2d_block_weights) follow its tiles.
#pragma once
#include <HalideRuntime.h>

#include <optional>
#include <string>
#include <vector>

#include <cnngen/isa.hpp>

namespace cnngen {

// The Halide features of kIsas[isa].halide_target beyond x86-64 (tests/test_sweep.cpp checks that
// they agree): what the CPU must have to run that variant.
std::vector<halide_target_feature_t> isa_features(Isa isa);

// The highest instruction set this CPU runs (the feature check of Halide's runtime).
Isa cpu_isa();

// CNNGEN_MAX_ISA, if set; std::invalid_argument naming the variable for a value not in kIsas.
std::optional<Isa> max_isa_setting();

// The variant a table generated for `built` runs here; std::runtime_error saying why when none can.
Isa select_isa(IsaSet built, const char* library);

// One line for summary and train: "Kernels: avx2 (generated for sse41, avx2, avx512; this CPU runs
// avx512; CNNGEN_MAX_ISA=avx2)".
std::string isa_report(IsaSet built, const char* library);

}  // namespace cnngen
