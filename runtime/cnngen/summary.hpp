// model.summary() as Keras prints it: a 65-column table (Layer (type), Output Shape, Param #) for a
// model whose layers form a chain, and a 100-column one with `Connected to` for a graph.
#pragma once
#include <string>

#include <cnngen/graph.hpp>

namespace cnngen {

std::string summary(const GraphView& g);
// The same table with a MACs column (multiply-accumulates of one sample's forward, per layer) and a
// "Total MACs" line: what `<model> summary` prints.
// Layers 1..frozen_through (Network::freeze_through) count their weights as non-trainable.
std::string summary_with_macs(const GraphView& g, int frozen_through = -1);

// Keras's spelling of a layer's output shape: "(None, 64, 64, 3)".
std::string shape_text(const Shape& s);

// 37633 -> "37,633"
std::string thousands(long long v);

}  // namespace cnngen
