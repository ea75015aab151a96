// The kernels of one generated model library, by name: what `cnngen_add_model` links in and the
// run time looks kernels up in. Every entry is the uniform `<name>_argv(void**)` entry point Halide
// emits for an AOT pipeline (arguments in the order of plan.hpp).
#pragma once
#include <span>
#include <string_view>

namespace cnngen {

using KernelFn = int (*)(void**);

struct KernelEntry {
  const char* name;
  KernelFn fn;
};

struct KernelTable {
  const char* library = "";
  std::span<const KernelEntry> entries;

  KernelFn find(std::string_view name) const {
    for (const KernelEntry& e : entries)
      if (name == e.name) return e.fn;
    return nullptr;
  }
};

}  // namespace cnngen
