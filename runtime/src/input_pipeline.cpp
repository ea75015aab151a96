#include <cnngen/input_pipeline.hpp>

#include <chrono>
#include <stdexcept>

namespace cnngen {

InputPipeline::InputPipeline(int batches, Fill fill, Options options)
    : batches_(batches), fill_(std::move(fill)), ring_(std::max(2, options.depth)) {
  if (batches < 0) throw std::invalid_argument("InputPipeline: a negative number of batches");
  if (options.producers < 1) throw std::invalid_argument("InputPipeline: at least one producer thread");
  const int threads = std::min(options.producers, std::max(1, batches));
  try {
    for (int t = 0; t < threads; ++t) producers_.emplace_back([this] { produce(); });
  } catch (...) {
    stop();
    throw;
  }
}

InputPipeline::~InputPipeline() { stop(); }

void InputPipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : producers_)
    if (t.joinable()) t.join();
}

void InputPipeline::produce() {
  const int depth = static_cast<int>(ring_.size());
  for (;;) {
    int index;
    {
      std::unique_lock lock(mutex_);
      // Batch k's slot is free once the consumer has moved past batch k - depth.
      changed_.wait(lock, [&] { return stop_ || next_claim_ >= batches_ || next_claim_ < consumed_ + depth - 1; });
      if (stop_ || next_claim_ >= batches_) return;
      index = next_claim_++;
    }
    Slot& slot = ring_[index % depth];
    std::exception_ptr error;
    try {
      slot.batch.index = index;
      fill_(index, slot.batch, stop_);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      slot.error = error;
      slot.ready = true;
    }
    changed_.notify_all();
    if (error) return;  // the consumer stops everything when it reaches this batch
  }
}

const Batch* InputPipeline::next() {
  const int depth = static_cast<int>(ring_.size());
  std::unique_lock lock(mutex_);
  if (consumed_ > 0) ring_[(consumed_ - 1) % depth].ready = false;  // the batch the consumer held
  if (consumed_ >= batches_ || stop_) {
    consumed_ = batches_;
    return nullptr;
  }
  const int index = consumed_;
  Slot& slot = ring_[index % depth];
  const auto start = std::chrono::steady_clock::now();
  changed_.wait(lock, [&] { return stop_ || (slot.ready && slot.batch.index == index); });
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!slot.ready || slot.batch.index != index) return nullptr;  // stopped
  ++consumed_;
  if (slot.error) {
    const std::exception_ptr error = slot.error;
    lock.unlock();
    stop();
    std::rethrow_exception(error);
  }
  lock.unlock();
  changed_.notify_all();  // the slot of the batch held before is free: a producer may take the next
  return &slot.batch;
}

}  // namespace cnngen
