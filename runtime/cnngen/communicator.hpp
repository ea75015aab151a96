// The processes one training runs on, and the collectives data parallelism needs: a single process
// (the default), or the ranks of an MPI job when the program was started by mpirun and cnngen was
// built with MPI (CNNGEN_MPI). Every rank must call the collectives in the same order.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cnngen {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // Ranks on this machine: the default --threads shares its cores among them.
  virtual int local_size() const { return 1; }

  // Sums over the ranks, in place; blocking.
  virtual void sum(std::span<double>) {}
  virtual void sum(std::span<float>) {}
  // Rank `root`'s values to every rank.
  virtual void broadcast(std::span<float>, int /*root*/) {}
  virtual void broadcast(std::span<double>, int /*root*/) {}

  // Every rank's values, concatenated in rank order (each rank may give another count).
  virtual std::vector<double> gather_all(std::span<const double> mine) { return {mine.begin(), mine.end()}; }
  // Blocking point to point (a single process has no one to talk to: never called there).
  virtual void send(std::span<const float>, int /*to*/) {}
  virtual void receive(std::span<float>, int /*from*/) {}

  // A non-blocking sum in place: the buffer must be left alone until wait(). Open MPI moves data
  // only inside MPI calls: progress() lets the started sums advance between layers.
  using Request = int;
  virtual Request start_sum(std::span<float>) { return 0; }
  virtual void progress() {}
  virtual void wait(Request) {}

  // Every rank says whether it failed (its message, or ""); every rank gets the message of the
  // lowest rank that failed, or "" when none did: one error, the same everywhere.
  virtual std::string agree(const std::string& error) { return error; }

  // Ends every rank at once (after an error only one rank met, so that no other waits forever).
  [[noreturn]] virtual void abort(int exit_code);
};

// The process's communicator: MPI's world when started by mpirun (MPI is initialised on the first
// call, finalised at exit), else the single process.
Communicator& world();
// True when this program was started by an MPI launcher (Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE).
bool launched_by_mpi();

// The share of a batch of n samples rank r of `ranks` takes: [begin, end), contiguous, as even as
// can be (the first n % ranks ranks take one more).
struct Share {
  int begin = 0, end = 0;
  int size() const { return end - begin; }
};
inline Share share_of(int n, int rank, int ranks) {
  const int base = n / ranks, extra = n % ranks;
  const int begin = rank * base + (rank < extra ? rank : extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace cnngen
