// The models whose convolutions get autoscheduled twins (benchmarks/CMakeLists.txt): the course's
// layers and ResNet50, as bench_conv measures them.
#pragma once
#include "../examples/resnet50/model.hpp"
#include "course_layers.hpp"
