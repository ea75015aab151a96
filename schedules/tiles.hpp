// Tile-size choices shared by the schedules. The target is AVX-512 (16 float lanes, 32 vector
// registers); ../shared/notes/HALIDE14.md measured that a register tile of ~28 accumulators with the
// reduction outside it reaches the core's FMA peak on Zen 4.
#pragma once
#include <algorithm>

namespace cnngen::schedules {

inline constexpr int kLanes = 16;

// Vector width for a dimension of this extent: a full vector where it fits, else the whole
// (short) dimension, so that small and odd shapes never split past their extent.
inline int lanes_for(int extent) { return extent >= kLanes ? kLanes : (extent >= 8 ? 8 : extent); }

// Channel tile: two vectors where there are enough channels, so that each broadcast input value feeds
// two FMAs.
inline int channel_tile(int channels) {
  const int v = lanes_for(channels);
  return channels >= 2 * v ? 2 * v : v;
}

// Pixel tile along x: up to 14 columns (2 x 14 = 28 accumulators with a 2-vector channel tile), and
// preferably a divisor of the width so no tile is shifted inwards and recomputed.
inline int pixel_tile(int width, int channel_vectors) {
  const int max_tile = std::max(1, 28 / std::max(1, channel_vectors));
  for (int t = std::min(max_tile, width); t >= 4; --t)
    if (width % t == 0) return t;
  return std::min(max_tile, width);
}

}  // namespace cnngen::schedules
