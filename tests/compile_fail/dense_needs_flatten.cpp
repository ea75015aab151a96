// expect: layer fc (Dense): needs a flat input (add Flatten before it), got (None, 32, 32, 32)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{64, 64, 3}, Conv2D{.filters = 32, .kernel_size = 3, .strides = 2}, ZeroPadding2D{{1, 0}, {1, 0}}, Dense{.units = 1, .activation = sigmoid, .name = "fc"}>();
