// Running an activation's kernels (activation_fwd, activation_bwd) over a node's tensors: softmax
// over (channels, everything else), the pointwise ones over the flat tensor. The Activation step
// and the Dense step (its activation) share it.
#pragma once
#include <cnngen/network.hpp>

namespace cnngen::activation {

void run_forward(Network& net, Network::KernelRef k, int node, Act act, int channels, Buffer in, Buffer out);
void run_backward(Network& net, Network::KernelRef k, int node, Act act, int channels, Buffer out,
                  Buffer d_out, Buffer d_in);

}  // namespace cnngen::activation
