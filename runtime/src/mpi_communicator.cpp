// MPI's world as cnngen's Communicator (CNNGEN_MPI): Open MPI from Debian (libopenmpi-dev). Only the
// main thread calls MPI (Halide's workers never do): MPI_THREAD_FUNNELED.
#include <cnngen/communicator.hpp>

// The C API alone: Open MPI's mpi.h otherwise pulls in the deprecated C++ bindings (libmpi_cxx).
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnngen {

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw std::runtime_error(std::string("MPI ") + what + " failed: " + std::string(text, length));
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::max(1, std::atoi(v)) : fallback;
}

// MPI counts are ints: a longer span goes in pieces.
template <class T, class F>
void in_pieces(std::span<T> s, F&& f) {
  for (size_t first = 0; first < s.size(); first += INT_MAX)
    f(s.data() + first, static_cast<int>(std::min<size_t>(INT_MAX, s.size() - first)));
}

class MpiWorld : public Communicator {
 public:
  MpiWorld() {
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "initialisation");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Errors come back as codes, which check() turns into exceptions naming the call.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    local_size_ = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
  }
  ~MpiWorld() override {
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }

  void sum(std::span<double> v) override {
    in_pieces(v, [](double* p, int n) { check(MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "allreduce"); });
  }
  void sum(std::span<float> v) override {
    in_pieces(v, [](float* p, int n) { check(MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "allreduce"); });
  }
  void broadcast(std::span<float> v, int root) override {
    in_pieces(v, [root](float* p, int n) { check(MPI_Bcast(p, n, MPI_FLOAT, root, MPI_COMM_WORLD), "broadcast"); });
  }
  void broadcast(std::span<double> v, int root) override {
    in_pieces(v, [root](double* p, int n) { check(MPI_Bcast(p, n, MPI_DOUBLE, root, MPI_COMM_WORLD), "broadcast"); });
  }

  std::vector<double> gather_all(std::span<const double> mine) override {
    int count = static_cast<int>(mine.size());
    std::vector<int> counts(size_), offsets(size_);
    check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "allgather");
    int total = 0;
    for (int r = 0; r < size_; ++r) offsets[r] = total, total += counts[r];
    std::vector<double> all(total);
    check(MPI_Allgatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, MPI_COMM_WORLD),
          "allgatherv");
    return all;
  }
  void send(std::span<const float> v, int to) override {
    in_pieces(v, [to](const float* p, int n) { check(MPI_Send(p, n, MPI_FLOAT, to, 0, MPI_COMM_WORLD), "send"); });
  }
  void receive(std::span<float> v, int from) override {
    in_pieces(v, [from](float* p, int n) {
      check(MPI_Recv(p, n, MPI_FLOAT, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receive");
    });
  }

  Request start_sum(std::span<float> v) override {
    if (v.size() > INT_MAX) throw std::invalid_argument("start_sum: a bucket of more than INT_MAX floats");
    requests_.push_back(MPI_REQUEST_NULL);
    check(MPI_Iallreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                         &requests_.back()),
          "iallreduce");
    return static_cast<Request>(requests_.size()) - 1;
  }
  void progress() override {
    int done = 0;
    if (!requests_.empty()) check(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE), "test");
  }
  void wait(Request r) override {
    check(MPI_Wait(&requests_.at(r), MPI_STATUS_IGNORE), "wait");
    // Once every started sum is waited for, the handles start again from 0.
    if (std::all_of(requests_.begin(), requests_.end(), [](MPI_Request q) { return q == MPI_REQUEST_NULL; })) requests_.clear();
  }

  std::string agree(const std::string& error) override {
    int first = error.empty() ? size_ : rank_;
    check(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "allreduce");
    if (first == size_) return "";
    std::string message = rank_ == first ? error : "";
    int length = static_cast<int>(message.size());
    check(MPI_Bcast(&length, 1, MPI_INT, first, MPI_COMM_WORLD), "broadcast");
    message.resize(length);
    check(MPI_Bcast(message.data(), length, MPI_CHAR, first, MPI_COMM_WORLD), "broadcast");
    return message;
  }

  [[noreturn]] void abort(int exit_code) override {
    std::cout.flush();
    std::cerr.flush();
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);
  }

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1;
  std::vector<MPI_Request> requests_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_world() { return std::make_unique<MpiWorld>(); }

}  // namespace cnngen
