#include <cnngen/plot.hpp>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include <cnngen/summary.hpp>

#include "atomic_file.hpp"

namespace cnngen {

namespace {

// Keras's shape cell: a list of the shapes, one per input ("[(None, 2, 2, 2048), (None, ...)]").
std::string shapes_cell(const GraphView& g, const Node& n, bool inputs) {
  std::string cell = "[";
  if (!inputs || n.arity == 0) {
    cell += shape_text(n.out);
  } else {
    for (int k = 0; k < n.arity; ++k) cell += (k ? ", " : "") + shape_text(g.nodes[n.inputs[k]].out);
  }
  return cell + "]";
}

// Keras's record label: "{name: Type|{input:|output:}|{[in]|[out]}}", or "name: Type".
std::string label(const GraphView& g, const Node& n, bool show_shapes) {
  const std::string head = std::string(n.name.view()) + ": " + std::string(keras_type(n.op));
  if (!show_shapes) return head;
  return "{" + head + "|{input:|output:}|{" + shapes_cell(g, n, true) + "|" + shapes_cell(g, n, false) + "}}";
}

// Graphviz keeps global state (its error buffer, the plugin list): one drawing at a time.
std::mutex graphviz_mutex;

// One Graphviz context for the process, never freed: Graphviz 2.43's pango plugin keeps the last
// font name it measured, a string the context's font table owns, and compares the next one with it;
// after gvFreeContext a second drawing read freed memory (AddressSanitizer, in tests/pipeline).
GVC_t* graphviz() {
  static GVC_t* const context = gvContext();
  return context;
}

struct Drawing {
  GVC_t* gvc = graphviz();
  Agraph_t* graph = nullptr;
  bool laid_out = false;
  ~Drawing() {
    if (laid_out) gvFreeLayout(gvc, graph);
    if (graph) agclose(graph);
  }
};

// cgraph takes char* where it only reads.
char* c(const char* s) { return const_cast<char*>(s); }

// Builds and lays out the graph, then renders it in `format` (a Graphviz output format).
std::string render(const GraphView& g, bool show_shapes, const char* format) {
  std::lock_guard lock(graphviz_mutex);
  Drawing ctx;
  if (!ctx.gvc) throw PlotError("Graphviz could not start");
  ctx.graph = agopen(c(std::string(g.name).c_str()), Agdirected, nullptr);
  agattr(ctx.graph, AGRAPH, c("rankdir"), c("TB"));
  agattr(ctx.graph, AGRAPH, c("dpi"), c("96"));
  agattr(ctx.graph, AGNODE, c("shape"), c("record"));
  agattr(ctx.graph, AGNODE, c("fontname"), c("Helvetica"));
  agattr(ctx.graph, AGNODE, c("label"), c(""));
  std::vector<Agnode_t*> nodes(g.nodes.size(), nullptr);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.reaches_output) continue;  // summary counts it nowhere either
    nodes[i] = agnode(ctx.graph, c(std::string(n.name.view()).c_str()), 1);
    agset(nodes[i], c("label"), c(label(g, n, show_shapes).c_str()));
  }
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (nodes[i])
      for (int in : g.nodes[i].input_nodes()) agedge(ctx.graph, nodes[in], nodes[i], nullptr, 1);
  if (gvLayout(ctx.gvc, ctx.graph, "dot") != 0) throw PlotError("Graphviz could not lay out " + std::string(g.name));
  ctx.laid_out = true;
  char* data = nullptr;
  unsigned int length = 0;
  if (gvRenderData(ctx.gvc, ctx.graph, format, &data, &length) != 0 || !data)
    throw PlotError(std::string("Graphviz could not render ") + format + " (is its plugin installed?)");
  std::string bytes(data, length);
  gvFreeRenderData(data);
  return bytes;
}

}  // namespace

std::string plot_model_dot(const GraphView& g, bool show_shapes) { return render(g, show_shapes, "dot"); }

void plot_model(const GraphView& g, const std::string& path, const PlotOptions& options) {
  namespace fs = std::filesystem;
  std::string format = options.format;
  if (format.empty()) {
    format = fs::path(path).extension().string();
    if (!format.empty()) format.erase(0, 1);
  }
  if (format != "svg" && format != "png" && format != "dot")
    throw PlotError(path + ": the picture's format is .svg, .png or .dot, not '" + format + "'");
  const fs::path folder = fs::absolute(path).parent_path();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw PlotError(path + ": no folder " + folder.string());
  if (::access(folder.c_str(), W_OK) != 0) throw PlotError(path + ": the folder " + folder.string() + " is not writable");
  replace_file<PlotError>(path, render(g, options.show_shapes, format.c_str()));
}

}  // namespace cnngen
