// Keras's plot_model: the model's graph drawn top to bottom, one box per layer ("name: Type", and
// with show_shapes its input and output shapes), laid out and rendered by Graphviz's library.
#pragma once
#include <stdexcept>
#include <string>

#include <cnngen/graph.hpp>

namespace cnngen {

struct PlotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PlotOptions {
  bool show_shapes = false;
  // "svg", "png" or "dot"; empty: from the path's extension.
  std::string format;
};

// Writes the picture to `path` atomically (a temporary file beside it, then a rename): a failure
// leaves whatever was there before. Throws PlotError naming the path for an unknown extension or a
// folder that cannot be written. Every layer that reaches an output is drawn, auxiliary heads too.
void plot_model(const GraphView& g, const std::string& path, const PlotOptions& options = {});

// The same graph as Graphviz's DOT text, laid out (what `plot FILE.dot` writes).
std::string plot_model_dot(const GraphView& g, bool show_shapes);

}  // namespace cnngen
