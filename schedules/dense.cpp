// Dense schedules. Dense layers in the course's models are small next to their convolutions
// (HappyModel: 32768 -> 1; ResNet50: 2048 -> 6), so these aim at no more than being vectorised along
// the contiguous dimension and parallel over independent outputs.
#include "../codegen/stages.hpp"
#include "tiles.hpp"

namespace cnngen::codegen {

using namespace Halide;
using schedules::lanes_for;

void schedule(DenseFwd& s, const KernelSpec& k, const schedules::Machine& m) {
  Var n = s.out.args()[1];
  s.out.parallel(n);
  s.acc.compute_at(s.out, n);
  if (k.units >= 8) {  // vector over units, the reduction over inputs outside it
    // Guarded: a vector past the last unit (10 units in vectors of 8) would read past the weights.
    Var u = s.acc.args()[0];
    s.acc.vectorize(u, lanes_for(m, k.units), TailStrategy::GuardWithIf);
    s.acc.update().reorder(u, s.r.x).vectorize(u, lanes_for(m, k.units), TailStrategy::GuardWithIf);
  }
}

void schedule(DenseBwdData& s, const KernelSpec& k, const schedules::Machine& m) {
  Var kk = s.d_in.args()[0], n = s.d_in.args()[1];
  s.w_t.compute_root();
  s.d_in.vectorize(kk, lanes_for(m, k.in.c)).parallel(n);
  s.d_in.update().reorder(kk, s.r.x).vectorize(kk, lanes_for(m, k.in.c), TailStrategy::GuardWithIf).parallel(n);
}

void schedule(DenseBwdWeights& s, const KernelSpec& k, const schedules::Machine& m) {
  Var u = s.d_w.args()[0], kk = s.d_w.args()[1], ko("ko"), ki("ki");
  RVar r = s.r.x;
  if (k.units >= 8) {  // rows of d_w are vectors over units; parallel over inputs
    s.d_w.vectorize(u, lanes_for(m, k.units));
    s.d_w.update().reorder(u, r, kk).vectorize(u, lanes_for(m, k.units), TailStrategy::GuardWithIf).parallel(kk);
  } else {  // few units (a binary classifier's 1): vectorise over inputs instead
    s.d_w.vectorize(kk, lanes_for(m, k.in.c));
    s.d_w.update()
        .split(kk, ko, ki, std::min(256, k.in.c), TailStrategy::GuardWithIf)
        .reorder(ki, u, r, ko)
        .vectorize(ki, lanes_for(m, k.in.c), TailStrategy::GuardWithIf)
        .parallel(ko);
  }
  if (s.d_b.defined()) s.d_b.compute_root();
}

}  // namespace cnngen::codegen
