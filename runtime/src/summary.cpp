#include <cnngen/summary.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace cnngen {

std::string thousands(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string shape_text(const Shape& s) {
  FixedString<64> t;
  append_shape(t, s);
  return std::string(t.view());
}

namespace {

bool is_chain(const GraphView& g) {
  for (size_t i = 1; i < g.nodes.size(); ++i)
    if (g.nodes[i].arity != 1 || g.nodes[i].input() != static_cast<int>(i) - 1) return false;
  return true;
}

// Keras's print_row: each field starts at its column and is cut at the next one.
std::string row(const std::vector<std::string>& fields, const std::vector<int>& positions) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line = line.substr(0, line.size() - 1) + " ";
    line += fields[i];
    line = line.substr(0, positions[i]);
    line += std::string(positions[i] - line.size(), ' ');
  }
  return line + "\n";
}

// Keras lists a graph's layers by depth (the longest path to the output, deepest first), and
// layers of equal depth in the order a depth-first walk from the output, first inputs first,
// discovers them. That is why the course prints res2a_branch2c, res2a_branch1, bn2a_branch2c.
// Every output (the main one, then the auxiliary ones) is at depth 0, walked in that order.
std::vector<int> keras_order(const GraphView& g) {
  const int count = static_cast<int>(g.nodes.size());
  std::vector<int> depth(count, -1), discovered(count, -1), outputs{g.output};
  for (const Auxiliary& a : g.auxiliary) outputs.push_back(a.x.node);
  for (int out : outputs) depth[out] = 0;
  for (int i = count - 1; i >= 0; --i) {
    if (depth[i] < 0) continue;
    for (int in : g.nodes[i].input_nodes())
      depth[in] = std::max(depth[in], depth[i] + 1);
  }
  int next = 0;
  std::vector<int> stack(outputs.rbegin(), outputs.rend());
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    if (discovered[i] >= 0) continue;
    discovered[i] = next++;
    const std::span<const int> inputs = g.nodes[i].input_nodes();
    for (auto in = inputs.rbegin(); in != inputs.rend(); ++in)  // pushed in reverse: the first is walked first
      if (discovered[*in] < 0) stack.push_back(*in);
  }
  std::vector<int> order;
  for (int i = 0; i < count; ++i)
    if (depth[i] >= 0) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return depth[a] != depth[b] ? depth[a] > depth[b] : discovered[a] < discovered[b];
  });
  return order;
}

std::string table(const GraphView& g, bool with_macs, int frozen_through) {
  const bool chain = is_chain(g);
  std::vector<int> positions = chain ? std::vector<int>{29, 55, 65} : std::vector<int>{33, 55, 67, 100};
  std::vector<std::string> header{"Layer (type)", "Output Shape", "Param #"};
  if (!chain) header.push_back("Connected to");
  if (with_macs) header.push_back("MACs"), positions.push_back(positions.back() + 16);
  const int length = positions.back();

  std::string s = std::string(length, '_') + "\n" + row(header, positions) + std::string(length, '=') + "\n";
  std::vector<int> order(g.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (!chain) order = keras_order(g);
  for (size_t k = 0; k < order.size(); ++k) {
    const Node& n = g.nodes[order[k]];
    std::vector<std::string> fields{std::string(n.name.view()) + " (" + std::string(keras_type(n.op)) + ")",
                                    shape_text(n.out), std::to_string(params(n))};
    std::vector<std::string> inputs;
    for (int in : n.input_nodes()) inputs.push_back(std::string(g.nodes[in].name.view()) + "[0][0]");
    if (!chain) fields.push_back(inputs.empty() ? "" : inputs[0]);
    if (with_macs) fields.push_back(thousands(macs(n)));
    s += row(fields, positions);
    for (size_t j = 1; !chain && j < inputs.size(); ++j) s += row({"", "", "", inputs[j]}, positions);
    s += std::string(length, k + 1 == order.size() ? '=' : '_') + "\n";
  }
  long long total = 0, trainable = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    total += params(g.nodes[i]), trainable += static_cast<int>(i) <= frozen_through ? 0 : trainable_params(g.nodes[i]);
  s += "Total params: " + thousands(total) + "\n";
  s += "Trainable params: " + thousands(trainable) + "\n";
  s += "Non-trainable params: " + thousands(total - trainable) + "\n";
  if (with_macs) {
    long long total_macs = 0;
    for (const Node& n : g.nodes) total_macs += macs(n);
    s += "Total MACs: " + thousands(total_macs) + " per sample\n";
  }
  s += std::string(length, '_') + "\n";
  return s;
}

}  // namespace

std::string summary(const GraphView& g) { return table(g, false, -1); }
std::string summary_with_macs(const GraphView& g, int frozen_through) { return table(g, true, frozen_through); }

}  // namespace cnngen
