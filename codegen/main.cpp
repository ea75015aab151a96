// cnngen-gen: the build-time generator. It reads the kernel specs a model's planner wrote and
// compiles each, once per instruction set asked for, into objects of one static library; or it
// builds the one Halide runtime every model links (HALIDE14.md pitfall 4: one runtime per process),
// for baseline x86-64, so that it runs on every CPU the kernels' dispatch serves.
//
//   cnngen-gen runtime --out libruntime.a
//   cnngen-gen kernels --specs kernels.txt --isas avx512,avx2,sse41 --out lib.a [--shard I --shards N]
//                      [--stmt DIR] [--autoschedule PLUGIN.so --prefix P]
// Each kernel's variant for ISA is the function <kernel>_<ISA> (dsl/cnngen/isa.hpp), scheduled for
// that ISA's registers (schedules::machine_for). With --autoschedule, each kernel is the bare
// algorithm scheduled by Adams2019 (beam 1) instead of schedules/, and its functions are prefixed
// with P: the benchmarks' autoscheduled twins.
#include <Halide.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <cnngen/isa.hpp>
#include <cnngen/version.hpp>

#include "autoschedule.hpp"
#include "kernel.hpp"

namespace fs = std::filesystem;
using namespace Halide;

namespace {

struct Options {
  std::string mode, specs, out, stmt_dir, autoschedule_plugin, prefix;
  cnngen::IsaSet isas = 0;
  int shard = 0, shards = 1;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "cnngen-gen: " << why << "\n"
            << "usage: cnngen-gen --version\n"
            << "       cnngen-gen runtime --out LIB.a\n"
            << "       cnngen-gen kernels --specs FILE --isas ISA,... --out LIB.a [--shard I --shards N] [--stmt DIR]\n"
            << "                          [--autoschedule PLUGIN.so --prefix P]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  if (std::string(argv[1]) == "--version") {
    std::cout << "cnngen-gen (cnngen " << cnngen::kVersion << ")\n";
    std::exit(0);
  }
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--specs") o.specs = v;
    else if (a == "--isas") {
      const std::optional<cnngen::IsaSet> isas = cnngen::parse_isas(v);
      if (!isas) usage("--isas " + v + ": expected a comma-separated list of sse41, avx2, avx512");
      o.isas = *isas;
    }
    else if (a == "--out") o.out = v;
    else if (a == "--shard") o.shard = std::stoi(v);
    else if (a == "--shards") o.shards = std::stoi(v);
    else if (a == "--stmt") o.stmt_dir = v;
    else if (a == "--autoschedule") o.autoschedule_plugin = v;
    else if (a == "--prefix") o.prefix = v;
    else usage("unknown option " + a);
  }
  if (o.out.empty()) usage("--out is required");
  if (o.mode == "kernels" && (o.specs.empty() || !o.isas)) usage("--specs and --isas are required");
  if (o.shards < 1 || o.shard < 0 || o.shard >= o.shards) usage("need 0 <= --shard < --shards");
  return o;
}

// Spelled out in isa.hpp, never 'host' (Halide 14 mis-detects Zen 4 and emits AVX-VNNI: SIGILL).
Target target_of(cnngen::Isa isa) { return Target(std::string(cnngen::isa_info(isa).halide_target)); }

void write_library(const std::vector<std::string>& objects, const Target& t, const std::string& out) {
  const std::string tmp = out + ".tmp";
  if (objects.empty()) {  // a shard can be empty: an empty archive links as nothing
    std::ofstream(tmp, std::ios::binary) << "!<arch>\n";
  } else {
    create_static_library(objects, t, tmp);
  }
  fs::rename(tmp, out);
}

// One variant of a kernel: scheduled for the ISA's machine (or autoscheduled), compiled to an object.
std::string compile_variant(const Options& o, const cnngen::KernelSpec& spec, cnngen::Isa isa, const fs::path& objdir) {
  const Target target = target_of(isa).with_feature(Target::NoRuntime);
  const std::string name = o.prefix + cnngen::variant_function(spec.name(), isa);
  const bool hand_scheduled = o.autoschedule_plugin.empty();
  const cnngen::schedules::Machine machine = cnngen::schedules::machine_for(isa);
  cnngen::codegen::BuiltKernel k = cnngen::codegen::build_kernel(spec, hand_scheduled ? &machine : nullptr);
  if (!hand_scheduled) {
    cnngen::codegen::Autoscheduler a;
    a.plugin = o.autoschedule_plugin;
    cnngen::codegen::autoschedule(k, a, target);
  }
  const std::string obj = (objdir / (name + ".o")).string();
  try {
    k.pipeline.compile_to_object(obj, k.arguments(), name, target);
  } catch (const Halide::Error& e) {
    if (hand_scheduled) throw;
    // Adams2019 can emit a schedule Halide 14 then rejects (an unrolled loop of run-time extent).
    std::string why = e.what();
    why = "Adams2019's schedule does not compile: " + why.substr(0, why.find('\n'));
    std::cerr << "cnngen-gen: warning: " << name << ": " << why << "\n";
    cnngen::codegen::unschedulable(k, why).pipeline.compile_to_object(obj, k.arguments(), name, target);
  }
  if (!o.stmt_dir.empty())  // the lowered loop nest, for reading a schedule
    k.pipeline.compile_to_lowered_stmt((fs::path(o.stmt_dir) / (name + ".stmt")).string(), k.arguments(), Text, target);
  return obj;
}

int kernels(const Options& o) {
  std::ifstream in(o.specs);
  if (!in) {
    std::cerr << "cnngen-gen: cannot read kernel specs " << o.specs << "\n";
    return 1;
  }
  const fs::path objdir = fs::path(o.out).parent_path() / (fs::path(o.out).stem().string() + ".objects");
  fs::create_directories(objdir);
  std::vector<std::string> objects;
  std::string line;
  for (int index = 0; std::getline(in, line); ++index) {
    if (line.empty() || index % o.shards != o.shard) continue;
    const cnngen::KernelSpec spec = cnngen::KernelSpec::parse(line);
    for (const cnngen::IsaInfo& i : cnngen::kIsas) {
      if (!(o.isas & cnngen::isa_bit(i.isa))) continue;
      try {
        objects.push_back(compile_variant(o, spec, i.isa, objdir));
      } catch (const Halide::Error& e) {
        std::cerr << "cnngen-gen: kernel " << o.prefix << cnngen::variant_function(spec.name(), i.isa) << ": " << e.what() << "\n";
        return 1;
      }
    }
  }
  write_library(objects, target_of(cnngen::Isa::sse41), o.out);
  return 0;
}

int runtime(const Options& o) {
  const Target target = target_of(cnngen::Isa::sse41);
  const fs::path obj = fs::path(o.out).replace_extension(".o");
  compile_standalone_runtime(obj.string(), target);
  write_library({obj.string()}, target, o.out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    if (o.mode == "kernels") return kernels(o);
    if (o.mode == "runtime") return runtime(o);
  } catch (const std::exception& e) {
    std::cerr << "cnngen-gen: " << e.what() << "\n";
    return 1;
  }
  usage("unknown mode " + o.mode);
}
