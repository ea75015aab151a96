// The input pipeline: producer threads make the next batches (read, augment, assemble) into a bounded
// ring while the trainer computes on the current one. What a batch holds is decided by the fill
// function alone, from the batch's index, so that the batches are the same whatever the number of
// producers. A producer's exception reaches the consumer as that exception, at the batch it failed
// on; destroying the pipeline (the end, an error, a training stopped early) stops and joins the
// producers, each within one sample's work.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cnngen {

struct Batch {
  int index = 0;              // in the pipeline's sequence
  std::vector<float> x;       // n samples; the fill writes the ones this process runs
  std::vector<int> y;
  std::vector<uint32_t> seeds;  // one per sample: the training forward's random draws (Dropout)
  int n = 0;
  int epoch = 0, first = 0;   // what the fill says the batch is: an epoch's batch starting at sample `first`
};

class InputPipeline {
 public:
  // Fills batch `index` into `out` (whose buffers it may reuse). It should return early, leaving
  // the batch unfinished, once `stop` is set: the batch is then dropped.
  using Fill = std::function<void(int index, Batch& out, const std::atomic<bool>& stop)>;
  struct Options {
    int producers = 1;  // threads
    int depth = 3;      // batches in the ring: the one the consumer holds and those being made
  };
  InputPipeline(int batches, Fill fill, Options options);
  ~InputPipeline();
  InputPipeline(const InputPipeline&) = delete;
  InputPipeline& operator=(const InputPipeline&) = delete;

  // The next batch in order, valid until the following call; nullptr after the last. Rethrows the
  // exception a producer met making it.
  const Batch* next();
  // Stops the producers and joins them (what the destructor does). next() then returns nullptr.
  void stop();
  // The consumer's time blocked in next(), in seconds: near zero when the producers keep up.
  double wait_seconds() const { return wait_seconds_; }
  int batches() const { return batches_; }

 private:
  struct Slot {
    Batch batch;
    bool ready = false;
    std::exception_ptr error;
  };
  void produce();

  const int batches_;
  const Fill fill_;
  std::vector<Slot> ring_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int next_claim_ = 0;  // the next batch a producer takes
  int consumed_ = 0;    // batches handed to the consumer (the last of them it still holds)
  std::atomic<bool> stop_{false};
  double wait_seconds_ = 0;
  std::vector<std::thread> producers_;
};

}  // namespace cnngen
