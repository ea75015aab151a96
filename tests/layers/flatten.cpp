// Input and Flatten run no kernels: nothing to check on their own; in the whole-network reference,
// Flatten's output is its input (NHWC order) and the Input's is the batch.
#include "unit_checks.hpp"

namespace unit_tests {

void check_input(KernelCheck&) {}
void check_flatten(KernelCheck&) {}

void reference_input(ReferenceNet&, int) {}
void reference_flatten(ReferenceNet& r, int i) { r.out[i] = r.out[r.net.graph().nodes[i].input()]; }

bool adjoint_input(const cnngen::Node&, AdjointCheck*) { return false; }
bool adjoint_flatten(const cnngen::Node&, AdjointCheck*) { return false; }

}  // namespace unit_tests
