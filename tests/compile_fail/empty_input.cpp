// expect: layer input_1 (InputLayer): every dimension must be positive, got (None, 0, 64, 3)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{0, 64, 3}>();
