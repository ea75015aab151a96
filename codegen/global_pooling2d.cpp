// GlobalAveragePooling2D and GlobalMaxPooling2D run the pooling kernels (codegen/pooling2d.cpp) of
// a window of the whole image: their units list those kernels, so no spec of theirs reaches here.
#include <stdexcept>

#include "kernel.hpp"

namespace cnngen::codegen {

BuiltKernel build_global_avg_pool2d(const KernelSpec&, const schedules::Machine*) {
  throw std::logic_error("global_avg_pool2d runs avg_pool2d's kernels");
}
BuiltKernel build_global_max_pool2d(const KernelSpec&, const schedules::Machine*) {
  throw std::logic_error("global_max_pool2d runs max_pool2d's kernels");
}

}  // namespace cnngen::codegen
