// Under ThreadSanitizer only (-DCNNGEN_SANITIZE=thread): Halide's parallel loops run on this pool
// instead of Halide's own. Halide's runtime is generated, not compiled here, so TSan cannot see the
// atomics its pool orders work with, and reports every closure it hands to a worker as a race.
// This pool's handoffs are std::mutex and std::condition_variable, which TSan sees, so what it
// reports is a race in the work itself: the kernels' calls and the optimizers' chunks.
#if defined(__SANITIZE_THREAD__)
#include <HalideRuntime.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cnngen {

namespace {

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  // Every index of [min, min + size), by the workers and the caller; the first nonzero result.
  int run(void* user_context, halide_task_t f, int min, int size, uint8_t* closure) {
    if (in_task) {  // a parallel loop inside a task (on a worker or the caller): run it here
      for (int i = min; i < min + size; ++i)
        if (const int r = f(user_context, i, closure)) return r;
      return 0;
    }
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return !job_.f; });  // one loop at a time
    job_ = {user_context, f, closure, min, min + size, min + size - min, 0};
    wake_.notify_all();
    take(lock);
    done_.wait(lock, [&] { return job_.left == 0; });
    const int result = job_.result;
    job_ = {};
    idle_.notify_all();
    return result;
  }

 private:
  struct Job {
    void* user_context = nullptr;
    halide_task_t f = nullptr;
    uint8_t* closure = nullptr;
    int next = 0, end = 0, left = 0, result = 0;
  };

  // Takes indices of the current job until none is left, running each unlocked.
  void take(std::unique_lock<std::mutex>& lock) {
    while (job_.f && job_.next < job_.end) {
      const int i = job_.next++;
      const Job job = job_;
      lock.unlock();
      in_task = true;
      const int r = job.f(job.user_context, i, job.closure);
      in_task = false;
      lock.lock();
      if (r && !job_.result) job_.result = r;
      if (--job_.left == 0) done_.notify_all();
    }
  }

  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || (job_.f && job_.next < job_.end); });
      if (stop_) return;
      take(lock);
    }
  }

  static thread_local bool in_task;
  std::mutex mutex_;
  std::condition_variable wake_, done_, idle_;
  Job job_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

thread_local bool Pool::in_task = false;

int do_par_for(void* user_context, halide_task_t f, int min, int size, uint8_t* closure) {
  static Pool pool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) - 1);
  return pool.run(user_context, f, min, size, closure);
}

const halide_do_par_for_t installed = halide_set_custom_do_par_for(do_par_for);

}  // namespace

}  // namespace cnngen
#endif
