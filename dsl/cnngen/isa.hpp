// The instruction sets every kernel is generated for, lowest first. One list for the generator (the
// Halide target of each), the planner (the suffix of each variant's function) and the run time (which
// variant this CPU runs): see runtime/cnngen/dispatch.hpp for the choice.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace cnngen {

enum class Isa : unsigned char { sse41, avx2, avx512 };
inline constexpr int kIsaCount = 3;

struct IsaInfo {
  Isa isa;
  std::string_view name;           // CNNGEN_TARGETS, CNNGEN_MAX_ISA and the functions' suffix
  std::string_view halide_target;  // spelled out: never Halide's 'host' (HALIDE14.md)
  std::string_view description;
};

inline constexpr std::array<IsaInfo, kIsaCount> kIsas{{
    {Isa::sse41, "sse41", "x86-64-linux-sse41", "baseline x86-64 (SSE4.1)"},
    {Isa::avx2, "avx2", "x86-64-linux-avx-avx2-f16c-fma-sse41", "AVX2 + FMA"},
    {Isa::avx512, "avx512", "x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41", "AVX-512 (F, CD, VL, DQ, BW)"},
}};

constexpr const IsaInfo& isa_info(Isa isa) { return kIsas[static_cast<int>(isa)]; }

constexpr std::optional<Isa> isa_named(std::string_view name) {
  for (const IsaInfo& i : kIsas)
    if (i.name == name) return i.isa;
  return std::nullopt;
}

// A set of instruction sets, as the bits 1 << Isa.
using IsaSet = unsigned;
constexpr IsaSet isa_bit(Isa isa) { return 1u << static_cast<int>(isa); }
inline constexpr IsaSet kAllIsas = (1u << kIsaCount) - 1;

// "avx512,avx2,sse41" (CNNGEN_TARGETS as the generator and the planner are given it), in any order;
// nullopt for an empty list or a name not in kIsas.
inline std::optional<IsaSet> parse_isas(std::string_view list) {
  IsaSet set = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::optional<Isa> isa = isa_named(list.substr(0, comma));
    if (!isa) return std::nullopt;
    set |= isa_bit(*isa);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return set ? std::optional<IsaSet>(set) : std::nullopt;
}

// The function of a kernel's variant for one instruction set: conv2d_fwd_..._avx2.
inline std::string variant_function(std::string_view kernel, Isa isa) {
  return std::string(kernel) + "_" + std::string(isa_info(isa).name);
}

}  // namespace cnngen
