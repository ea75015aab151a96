// The cnngen model-writing DSL: include this, `using namespace cnngen::layers;`, write a model.
#pragma once
#include "blocks.hpp"
#include "graph.hpp"
#include "define_model.hpp"
#include "shape.hpp"
