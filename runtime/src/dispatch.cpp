// The run-time choice of the kernels' instruction set (cnngen/dispatch.hpp).
#include <cnngen/dispatch.hpp>

#include <HalideRuntime.h>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <stdexcept>

namespace cnngen {

std::vector<halide_target_feature_t> isa_features(Isa isa) {
  switch (isa) {
    case Isa::sse41: return {halide_target_feature_sse41};
    case Isa::avx2:
      return {halide_target_feature_avx, halide_target_feature_avx2, halide_target_feature_f16c, halide_target_feature_fma,
              halide_target_feature_sse41};
    case Isa::avx512: break;
  }
  return {halide_target_feature_avx, halide_target_feature_avx2, halide_target_feature_avx512,
          halide_target_feature_avx512_skylake, halide_target_feature_f16c, halide_target_feature_fma,
          halide_target_feature_sse41};
}

namespace {

bool cpu_runs(Isa isa) {
  constexpr int words = (halide_target_feature_end + 63) / 64;
  uint64_t bits[words] = {};
  for (const halide_target_feature_t f : isa_features(isa)) bits[f / 64] |= uint64_t{1} << (f % 64);
  // The default check, not the weak halide_can_use_target_features a program may override.
  return halide_default_can_use_target_features(words, bits) != 0;
}

std::string names(IsaSet set) {
  std::string s;
  for (const IsaInfo& i : kIsas)
    if (set & isa_bit(i.isa)) s += (s.empty() ? "" : ", ") + std::string(i.name);
  return s.empty() ? "nothing" : s;
}

}  // namespace

Isa cpu_isa() {
  static const Isa best = [] {
    Isa b = Isa::sse41;  // x86-64 Linux machines without SSE4.1 (before 2008) are not served
    for (const IsaInfo& i : kIsas)
      if (cpu_runs(i.isa)) b = i.isa;
    return b;
  }();
  return best;
}

std::optional<Isa> max_isa_setting() {
  const char* v = std::getenv("CNNGEN_MAX_ISA");
  if (!v || !*v) return std::nullopt;
  if (const std::optional<Isa> isa = isa_named(v)) return isa;
  throw std::invalid_argument("CNNGEN_MAX_ISA='" + std::string(v) + "': expected one of " +
                              names(kAllIsas));
}

Isa select_isa(IsaSet built, const char* library) {
  const std::optional<Isa> cap = max_isa_setting();
  if (cap && *cap > cpu_isa()) {  // said once: the tests forced to an ISA are skipped on its strength
    static std::once_flag said;
    std::call_once(said, [&] {
      std::cerr << "cnngen: CNNGEN_MAX_ISA=" << isa_info(*cap).name << ", but this CPU runs at most "
                << isa_info(cpu_isa()).name << "\n";
    });
  }
  const Isa allowed = cap && *cap < cpu_isa() ? *cap : cpu_isa();
  for (int i = static_cast<int>(allowed); i >= 0; --i)
    if (built & isa_bit(static_cast<Isa>(i))) return static_cast<Isa>(i);
  const std::string most(isa_info(allowed).name);
  throw std::runtime_error("the kernels of '" + std::string(library) + "' were generated for " + names(built) + " only, and " +
                           (allowed < cpu_isa() ? "CNNGEN_MAX_ISA allows" : "this CPU runs") + " at most " + most +
                           ": build with CNNGEN_TARGETS including " + most);
}

std::string isa_report(IsaSet built, const char* library) {
  const Isa runs = select_isa(built, library);
  std::string s = "Kernels: " + std::string(isa_info(runs).name) + ", " + std::string(isa_info(runs).description) +
                  " (generated for " + names(built) + "; this CPU runs " + std::string(isa_info(cpu_isa()).name);
  if (const char* v = std::getenv("CNNGEN_MAX_ISA"); v && *v) s += "; CNNGEN_MAX_ISA=" + std::string(v);
  return s + ")";
}

}  // namespace cnngen
