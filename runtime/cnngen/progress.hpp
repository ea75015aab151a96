// Keras's progress bar, as the course prints it:
//   600/600 [==============================] - 26s - loss: 1.5768 - acc: 0.7183
// On a terminal it redraws in place with an ETA while the epoch runs; into a file or a pipe it
// prints only the final line, so logs stay readable.
#pragma once
#include <chrono>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace cnngen {

using Metrics = std::vector<std::pair<std::string, double>>;

class ProgressBar {
 public:
  ProgressBar(int target, std::ostream& out, bool interactive);
  void update(int current, const Metrics& values);
  void finish(const Metrics& values);  // the final line, with the total time
  static bool stdout_is_terminal();

 private:
  std::string bar(int current) const;
  int target_;
  std::ostream& out_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_;
  size_t last_width_ = 0;
};

// " - loss: 0.1023 - acc: 0.9650"
std::string format_metrics(const Metrics& values);

}  // namespace cnngen
