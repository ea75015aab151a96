// The kernels of one generated model library, by name: what `cnngen_add_model` links in and the
// run time looks kernels up in. Every kernel has one variant per instruction set generated
// (CNNGEN_TARGETS), each the uniform `<name>_<isa>_argv(void**)` entry point Halide emits for an AOT
// pipeline (arguments in the order of plan.hpp); find() returns the one this process runs (dispatch.hpp).
#pragma once
#include <HalideRuntime.h>

#include "dispatch.hpp"

#include <span>
#include <string_view>

namespace cnngen {

using KernelFn = int (*)(void**);

// The table entry of a kernel that takes its images as (channels, pixels x batch) matrices
// (conv2d.hpp's flattens_pixels): it calls `inner` with the `arity` arguments it was given, the ones at
// positions `images` replaced by 2-D views of the same dense 4-D (c, x, y, n) tensors.
template <KernelFn inner, int arity, int... images>
int with_flat_images(void** args) {
  void* flat_args[arity];
  halide_buffer_t views[sizeof...(images)];
  halide_dimension_t dims[sizeof...(images)][2];
  for (int i = 0; i < arity; ++i) flat_args[i] = args[i];
  int v = 0;
  for (const int i : {images...}) {
    const halide_buffer_t* b = static_cast<const halide_buffer_t*>(args[i]);
    int points = 1;
    for (int d = 1; d < b->dimensions; ++d) {
      if (b->dim[d].min != 0 || b->dim[d].stride != b->dim[d - 1].stride * b->dim[d - 1].extent) {
        halide_error(nullptr, "a pointwise convolution's image is not a dense tensor starting at pixel 0\n");
        return halide_error_code_bad_dimensions;
      }
      points *= b->dim[d].extent;
    }
    views[v] = *b;
    dims[v][0] = b->dim[0];
    dims[v][1] = halide_dimension_t(0, points, b->dim[1].stride);
    views[v].dimensions = 2, views[v].dim = dims[v];
    flat_args[i] = &views[v++];
  }
  return inner(flat_args);
}

struct KernelEntry {
  const char* name;
  KernelFn fn[kIsaCount];  // by Isa; null where not generated
};

struct KernelTable {
  const char* library = "";
  std::span<const KernelEntry> entries;
  IsaSet isas = 0;  // the instruction sets every entry has a variant for

  // The variant of the instruction set this process runs (select_isa: throws when none can run).
  KernelFn find(std::string_view name) const { return find(name, isa()); }
  KernelFn find(std::string_view name, Isa isa) const {
    for (const KernelEntry& e : entries)
      if (name == e.name) return e.fn[static_cast<int>(isa)];
    return nullptr;
  }
  Isa isa() const { return select_isa(isas, library); }
};

}  // namespace cnngen
