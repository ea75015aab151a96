// A generated kernel's identity: the layer kind and pass it belongs to and every field its
// algorithm and schedule depend on. Both the generator and the run time derive a kernel's name from
// its spec alone, mechanically from every field, so equal names mean equal kernels.
//
// Tensors are NHWC; in Halide their dimensions are (c, x, y, n), channels innermost. Weights keep
// Keras's layout: Conv2D (kh, kw, cin, cout) is Halide (co, ci, kx, ky); Dense (in, out) is (u, k).
// Every kernel is an AOT Halide function called through its `<name>_argv(void**)` entry: inputs in
// the order its layer kind's unit documents, then outputs. The batch size n is a run-time extent.
#pragma once
#include <algorithm>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "node.hpp"

namespace cnngen {

// The passes a layer kind's kernels serve; a kind uses the ones it needs.
enum class Pass : unsigned char { fwd, bwd, bwd_data, bwd_weights, train_fwd, infer_fwd, bn_infer_fwd, block_weights };
inline constexpr const char* pass_names[] = {"fwd", "bwd", "bwd_data", "bwd_weights", "train_fwd", "infer_fwd", "bn_infer_fwd", "block_weights"};

struct KernelSpec {
  Op op = Op::input;
  Pass pass = Pass::fwd;
  Shape in, out;            // the layer's input and output (pointwise kernels of any length: both empty)
  int units = 0;            // conv filters / dense units
  Size2 kernel{0, 0}, strides{0, 0};
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  bool use_bias = false;
  Act act = Act::linear;    // a fused activation
  bool residual = false;    // conv2d_bn_infer_fwd: adds a residual input before the activation

  bool operator==(const KernelSpec&) const = default;

  bool padded() const { return pad_top || pad_bottom || pad_left || pad_right; }

  // "conv2d_fwd": the unit's name and the pass, what --kinds filters on.
  std::string kind() const {
    std::string s = unit_names[static_cast<int>(op)];
    s += '_';
    s += pass_names[static_cast<int>(pass)];
    return s;
  }

  // Every field, each with its own tag, a default one left out: conv2d_15x15x64_to_15x15x64_u64_k3x3_s1x1_p1_1_1_1_bias_fwd.
  std::string name() const {
    std::ostringstream s;
    const auto shape = [&](const Shape& sh) {
      if (sh.size() == 0) s << "any";
      else if (sh.rank == 1) s << sh.c;
      else s << sh.h << 'x' << sh.w << 'x' << sh.c;
    };
    s << unit_names[static_cast<int>(op)] << '_';
    shape(in);
    s << "_to_";
    shape(out);
    if (units) s << "_u" << units;
    if (kernel.h || kernel.w) s << "_k" << kernel.h << 'x' << kernel.w;
    if (strides.h || strides.w) s << "_s" << strides.h << 'x' << strides.w;
    if (padded()) s << "_p" << pad_top << '_' << pad_bottom << '_' << pad_left << '_' << pad_right;
    if (use_bias) s << "_bias";
    if (act != Act::linear) s << '_' << act_name(act);
    if (residual) s << "_residual";
    s << '_' << pass_names[static_cast<int>(pass)];
    return s.str();
  }

  // One line of the planner's output, read back by the generator with parse().
  std::string serialize() const {
    std::ostringstream s;
    s << unit_names[static_cast<int>(op)] << ' ' << pass_names[static_cast<int>(pass)];
    for (const Shape& sh : {in, out}) s << ' ' << sh.h << ' ' << sh.w << ' ' << sh.c << ' ' << sh.rank;
    s << ' ' << units << ' ' << kernel.h << ' ' << kernel.w << ' ' << strides.h << ' ' << strides.w << ' ' << pad_top
      << ' ' << pad_bottom << ' ' << pad_left << ' ' << pad_right << ' ' << use_bias << ' ' << static_cast<int>(act) << ' '
      << residual;
    return s.str();
  }

  static KernelSpec parse(const std::string& line) {
    std::istringstream s(line);
    std::string unit, pass;
    KernelSpec k;
    int bias = 0, act = 0, residual = 0;
    s >> unit >> pass;
    for (Shape* sh : {&k.in, &k.out}) s >> sh->h >> sh->w >> sh->c >> sh->rank;
    s >> k.units >> k.kernel.h >> k.kernel.w >> k.strides.h >> k.strides.w >> k.pad_top >> k.pad_bottom >> k.pad_left >>
        k.pad_right >> bias >> act >> residual;
    const auto index = [](const auto& names, const std::string& v) {
      const auto it = std::find_if(std::begin(names), std::end(names), [&](const char* n) { return v == n; });
      return it == std::end(names) ? -1 : static_cast<int>(it - std::begin(names));
    };
    const int op = index(unit_names, unit), p = index(pass_names, pass);
    if (!s || op < 0 || p < 0 || act < 0 || act > static_cast<int>(Act::softmax))
      throw std::runtime_error("cannot read kernel spec line: '" + line + "'");
    k.op = static_cast<Op>(op), k.pass = static_cast<Pass>(p);
    k.use_bias = bias != 0, k.act = static_cast<Act>(act), k.residual = residual != 0;
    return k;
  }
};

// The kernels one node runs, as its kind's unit lists them; the run time finds each by kind and
// pass, and by its place among those of the same kind and pass (Concatenate's, one per input).
struct NodeKernels {
  std::vector<KernelSpec> list;
  void add(const KernelSpec& k) { list.push_back(k); }
  const KernelSpec* find(Op op, Pass pass, int nth = 0) const {
    for (const KernelSpec& k : list)
      if (k.op == op && k.pass == pass && nth-- == 0) return &k;
    return nullptr;
  }
};

// The spec of one pass of node n, with the layer's geometry; a unit clears what its pass ignores.
inline KernelSpec spec_of(const Node& n, Pass pass) {
  KernelSpec k;
  k.op = n.op, k.pass = pass, k.in = n.in, k.out = n.out, k.units = n.units, k.kernel = n.kernel, k.strides = n.strides;
  k.pad_top = n.pad_top, k.pad_bottom = n.pad_bottom, k.pad_left = n.pad_left, k.pad_right = n.pad_right;
  k.use_bias = n.use_bias;
  return k;
}

}  // namespace cnngen
