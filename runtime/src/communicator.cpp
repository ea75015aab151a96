#include <cnngen/communicator.hpp>

#include <cstdlib>
#include <iostream>

namespace cnngen {

// mpi_communicator.cpp (CNNGEN_MPI) or no_mpi.cpp: MPI's world, or nothing.
std::unique_ptr<Communicator> make_mpi_world();

void Communicator::abort(int exit_code) {
  std::cout.flush();
  std::exit(exit_code);
}

bool launched_by_mpi() {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  return size && *size;
}

Communicator& world() {
  static const std::unique_ptr<Communicator> instance = [] {
    std::unique_ptr<Communicator> mpi = launched_by_mpi() ? make_mpi_world() : nullptr;
    return mpi ? std::move(mpi) : std::make_unique<Communicator>();
  }();
  return *instance;
}

}  // namespace cnngen
