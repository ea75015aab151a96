// expect: layer activation_1 (Activation): unknown activation relux (relu, sigmoid, tanh, softmax or linear)
#include <cnngen/dsl.hpp>
using namespace cnngen::layers;
constexpr auto m = cnngen::sequential<"Bad", Input{8, 8, 3}, Activation{"relux"}>();
