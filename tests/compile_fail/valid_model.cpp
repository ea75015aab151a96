// expect-success: the control case: a valid model compiles (so the failures above are not a broken setup), without a warning.
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Good", Input{8, 8, 3}, Conv2D{.filters = 4, .kernel_size = 3}, Activation{relu},
                                      Flatten{}, Dense{.units = 2, .activation = "softmax"}>();
static_assert(m.total_params() == 3 * 3 * 3 * 4 + 4 + 6 * 6 * 4 * 2 + 2);
