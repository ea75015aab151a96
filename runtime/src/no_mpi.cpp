// A build without MPI (-DCNNGEN_MPI=OFF): every program is a single process, even under mpirun,
// and says so rather than training N copies of one model.
#include <cnngen/communicator.hpp>

#include <stdexcept>

namespace cnngen {

std::unique_ptr<Communicator> make_mpi_world() {
  throw std::runtime_error("this program was started by mpirun, but cnngen was built without MPI "
                           "(-DCNNGEN_MPI=OFF): rebuild with -DCNNGEN_MPI=ON to train across processes");
}

}  // namespace cnngen
