// Keras's initialisers, shared by the steps of the layers with weights.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>

#include <cnngen/network.hpp>

namespace cnngen::init {

inline uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// Each layer draws from its own stream, seeded by the run's seed and the layer's name.
inline std::mt19937_64 layer_stream(uint64_t seed, const Node& n) { return std::mt19937_64(seed ^ fnv1a(n.name.view())); }

// glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)).
inline void glorot_uniform(FloatArray& w, double fan_in, double fan_out, std::mt19937_64& rng) {
  const double limit = std::sqrt(6.0 / (fan_in + fan_out));
  for (float& v : w) v = static_cast<float>(-limit + 2.0 * limit * ((rng() >> 11) * 0x1.0p-53));
}

}  // namespace cnngen::init
