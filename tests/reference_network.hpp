// A whole network run by the naive references, node by node: the independent twin of
// cnngen::Network's forward pass.
#pragma once
#include <vector>

#include <cnngen/network.hpp>

#include "reference.hpp"

namespace ref {

// Logits (n x classes, sample-major, i.e. Halide's (classes, n)) of the network in `net`'s
// parameters; training: BatchNorm with batch statistics.
Vec network_logits(const cnngen::Network& net, const Vec& x, int n, bool training);
// Every head's (Network::heads(): the main output's, then the auxiliary ones').
std::vector<Vec> network_head_logits(const cnngen::Network& net, const Vec& x, int n, bool training);

}  // namespace ref
