// plot_model: the drawn graph, read back with Graphviz's own parser, has every layer, every residual
// join and every branch of the model.
#include <gtest/gtest.h>

#include <graphviz/cgraph.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <cnngen/plot.hpp>

#include "inception/model.hpp"
#include "resnet50/model.hpp"

namespace {

namespace fs = std::filesystem;

// What a drawing holds: its nodes by label, and each node's number of incoming edges.
struct Drawn {
  std::map<std::string, std::string> label;  // node name -> label
  std::map<std::string, int> in_edges;
  int edges = 0;
};

Drawn read_dot(const std::string& dot) {
  Agraph_t* g = agmemread(dot.c_str());
  if (!g) throw std::runtime_error("Graphviz could not parse the drawing");
  Drawn d;
  for (Agnode_t* n = agfstnode(g); n; n = agnxtnode(g, n)) {
    const std::string name = agnameof(n);
    d.label[name] = agget(n, const_cast<char*>("label"));
    int in = 0;
    for (Agedge_t* e = agfstin(g, n); e; e = agnxtin(g, e)) ++in;
    d.in_edges[name] = in, d.edges += in;
  }
  agclose(g);
  return d;
}

// Checks that every node of g is drawn with its Keras type, and that each join's box has an edge
// from each of its inputs; returns how many nodes of `type` there are.
int check_drawing(const cnngen::GraphView& g, const Drawn& d, const std::string& type) {
  int joins = 0, edges = 0;
  for (const cnngen::Node& n : g.nodes) {
    const std::string name(n.name.view());
    EXPECT_TRUE(d.label.count(name)) << name << " is not drawn";
    if (!d.label.count(name)) continue;
    EXPECT_NE(d.label.at(name).find(name + ": " + std::string(cnngen::keras_type(n.op))), std::string::npos) << d.label.at(name);
    EXPECT_EQ(d.in_edges.at(name), n.arity) << name;
    edges += n.arity;
    if (std::string(cnngen::keras_type(n.op)) == type) ++joins;
  }
  EXPECT_EQ(d.edges, edges);
  return joins;
}

TEST(PlotModel, ResNet50ShowsEveryResidualJoin) {
  const Drawn d = read_dot(cnngen::plot_model_dot(resnet50::model, true));
  EXPECT_EQ(check_drawing(resnet50::model, d, "Add"), 16) << "3 + 4 + 6 + 3 blocks";
  for (const auto& [name, label] : d.label)
    if (label.find(": Add") != std::string::npos) {
      EXPECT_EQ(d.in_edges.at(name), 2) << name;
      EXPECT_NE(label.find("[(None, "), std::string::npos) << "--show-shapes: " << label;
    }
  EXPECT_NE(d.label.at("res2a_branch2a").find("{[(None, 15, 15, 64)]|[(None, 15, 15, 64)]}"), std::string::npos)
      << d.label.at("res2a_branch2a");
}

TEST(PlotModel, InceptionShowsEveryBranchAndTheAuxiliaryHead) {
  const Drawn d = read_dot(cnngen::plot_model_dot(inception::model, false));
  EXPECT_EQ(check_drawing(inception::model, d, "Concatenate"), 3) << "three modules";
  for (const auto& [name, label] : d.label)
    if (label.find(": Concatenate") != std::string::npos) {
      EXPECT_EQ(d.in_edges.at(name), 4) << name;
    }
  EXPECT_TRUE(d.label.count("aux_predictions")) << "the auxiliary head is drawn";
  EXPECT_EQ(d.label.at("aux_predictions"), "aux_predictions: Dense");
}

TEST(PlotModel, WritesSvgPngAndDotWhole) {
  const fs::path dir = fs::temp_directory_path() / ("cnngen_plot_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* ext : {".svg", ".png", ".dot"}) {
    const fs::path path = dir / (std::string("happy") + ext);
    cnngen::plot_model(inception::module, path.string(), {.show_shapes = true});
    ASSERT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
    std::ifstream in(path, std::ios::binary);
    std::string head(8, '\0');
    in.read(head.data(), 8);
    const std::map<std::string, std::string> signature{{".png", "\x89PNG"}, {".svg", "<?xml"}, {".dot", "digraph"}};
    EXPECT_EQ(head.substr(0, signature.at(ext).size()), signature.at(ext)) << ext;
  }
  fs::remove_all(dir);
}

void refused(const std::string& path, const std::string& says) {
  try {
    cnngen::plot_model(inception::module, path);
    ADD_FAILURE() << path;
  } catch (const cnngen::PlotError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(PlotModel, BadPathsAreRefusedAndNothingIsWritten) {
  refused("/nonexistent/folder/m.svg", "m.svg: no folder /nonexistent/folder");
  refused((fs::temp_directory_path() / "m.jpg").string(), "the picture's format is .svg, .png or .dot, not 'jpg'");
  refused((fs::temp_directory_path() / "m").string(), "not ''");
  refused("/proc/m.svg", "/proc/m.svg");  // a folder no one writes in (root passes the access check, not the write)
}

}  // namespace
