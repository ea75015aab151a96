#include <cnngen/progress.hpp>

#include <unistd.h>

#include <cstdio>
#include <ostream>

namespace cnngen {

ProgressBar::ProgressBar(int target, std::ostream& out, bool interactive)
    : target_(target), out_(out), interactive_(interactive), start_(std::chrono::steady_clock::now()) {}

bool ProgressBar::stdout_is_terminal() { return isatty(STDOUT_FILENO) != 0; }

std::string format_metrics(const Metrics& values) {
  std::string s;
  char buf[64];
  for (const auto& [name, v] : values) {
    std::snprintf(buf, sizeof buf, "%.4f", v);
    s += " - " + name + ": " + buf;
  }
  return s;
}

std::string ProgressBar::bar(int current) const {
  const int digits = static_cast<int>(std::to_string(target_).size());
  char head[64];
  std::snprintf(head, sizeof head, "%*d/%d [", digits, current, target_);
  std::string s = head;
  const int width = 30, filled = target_ > 0 ? static_cast<int>(double(width) * current / target_) : width;
  if (filled > 0) s += std::string(filled - 1, '=') + (current < target_ ? '>' : '=');
  s += std::string(width - filled, '.') + "]";
  return s;
}

void ProgressBar::update(int current, const Metrics& values) {
  if (!interactive_ || current >= target_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = current > 0 ? elapsed / current * (target_ - current) : 0;
  std::string line = bar(current) + " - ETA: " + std::to_string(static_cast<int>(eta)) + "s" + format_metrics(values);
  const size_t width = line.size();
  if (width < last_width_) line += std::string(last_width_ - width, ' ');
  last_width_ = width;
  out_ << '\r' << line << std::flush;
}

void ProgressBar::finish(const Metrics& values) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = bar(target_) + " - " + std::to_string(static_cast<int>(elapsed + 0.5)) + "s" + format_metrics(values);
  if (interactive_ && line.size() < last_width_) line += std::string(last_width_ - line.size(), ' ');
  out_ << (interactive_ ? "\r" : "") << line << std::endl;
}

}  // namespace cnngen
