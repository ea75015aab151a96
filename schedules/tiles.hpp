// Tile-size choices shared by the schedules, for the registers and caches of the instruction set a
// kernel is generated for (Machine). A register tile of accumulators, with the whole reduction run
// over it, is what reaches the FMA units' peak (HALIDE14.md); its size is bounded by the registers,
// and it must hold enough independent chains (>= 8: two FMA pipes of latency 4) to hide the latency.
#pragma once
#include <algorithm>

#include <cnngen/isa.hpp>

namespace cnngen::schedules {

// What a schedule is written for: the vector registers and caches of one instruction set.
struct Machine {
  int lanes;               // floats in a vector register
  int registers;           // vector registers
  bool fma;                // fused multiply-add; without it each product takes a register of its own
  bool broadcast_operand;  // the FMA reads its broadcast from memory (AVX-512's {1toN}): no register
  long l2_budget;          // bytes a block of a weight-gradient pass may read: half the smallest L2 a core of these CPUs has
  // Room for the weight vectors and a broadcast beside the accumulators: 28 of 32, 12 of 16.
  int max_accumulators() const { return registers - 4; }
  // Registers a step of a tile of `vectors` weight vectors needs beside its accumulators.
  int step_registers(int vectors) const { return vectors + (broadcast_operand ? 0 : 1) + (fma ? 0 : 1); }
};

constexpr Machine machine_for(Isa isa) {
  switch (isa) {
    case Isa::sse41: return {4, 16, false, false, 128 * 1024};  // the oldest: Nehalem, 256 KB L2
    case Isa::avx2: return {8, 16, true, false, 128 * 1024};    // Haswell, Skylake client: 256 KB L2
    case Isa::avx512: break;
  }
  return {16, 32, true, true, 512 * 1024};  // Zen 4 and 5: 1 MB L2, Sapphire Rapids: 2 MB
}

// Vector width for a dimension of this extent: a full vector where it fits, else the whole
// (short) dimension, so that small and odd shapes never split past their extent.
inline int lanes_for(const Machine& m, int extent) { return extent >= m.lanes ? m.lanes : (extent >= 8 ? 8 : extent); }

// A register tile of a convolution pass: `vectors` vectors of channels (the dimension in memory
// order, the one loaded as vectors) x `cols` x `rows` pixels (each input value broadcast once per
// channel vector). Accumulators = vectors x cols x rows; each step of the reduction also holds the
// `vectors` weight vectors and one broadcast (a product too without FMA), so accumulators + vectors +
// 1 <= the registers.
struct ConvTile {
  int lanes, vectors, cols, rows;
  int channels() const { return lanes * vectors; }
  int accumulators() const { return vectors * cols * rows; }
};

// For `channels` channels produced over a width x height image. Prefers tiles that divide the
// image and the channels (no tile recomputed), then the most accumulators up to the machine's (28 on AVX-512, as
// the HALIDE14.md schedule that reached peak on AVX-512: 2 vectors x 14 pixels), then the fewest
// loads per FMA.
inline ConvTile conv_tile(const Machine& m, int channels, int width, int height) {
  const int max_acc = m.max_accumulators(), lanes = lanes_for(m, channels);
  const int max_vectors = std::max(1, channels / lanes);
  ConvTile best{lanes, 1, std::min(width, 1), 1};
  double best_score = -1;
  for (int v = 1; v <= std::min(max_vectors, 8); ++v) {
    if ((channels / lanes) % v != 0 && v != 1) continue;
    for (int cols = 1; cols <= std::min(width, 14); ++cols) {
      for (int rows = 1; rows <= std::min(height, 4); ++rows) {
        if (rows > 1 && cols < width) continue;  // rows only when whole rows are narrow
        const int acc = v * cols * rows;
        if (acc > max_acc || acc + v + 1 + (m.fma ? 0 : 1) > m.registers) continue;
        const bool exact = width % cols == 0 && height % rows == 0;
        const double loads_per_fma = double(v + cols * rows) / acc;
        const double score = (exact ? 1000 : 0) + std::min(acc, max_acc) * 10 - loads_per_fma;
        if (score > best_score) best_score = score, best = {lanes, v, cols, rows};
      }
    }
  }
  return best;
}

// Small images (ResNet50's stages 4 and 5: 4x4 and 2x2 outputs) are tiled across the batch instead:
// channel vectors x images at one pixel, so the tile holds as many accumulators as a large image's
// and only the taps that land inside the image are computed (31% of a 4x4 3x3 'same' layer's taps
// are padding, 56% of a 2x2's). Needs at least `images` images; fewer take the in-image tile.
inline bool batch_tiled(int width, int height) { return width * height <= 16; }

struct BatchTile {
  int lanes, vectors, images;
  int channels() const { return lanes * vectors; }
};

// Accumulators = vectors x images <= 28 of AVX-512's 32 registers, and the weight vectors must fit
// beside them (AVX-512 folds the input broadcast into the FMA: accumulators + vectors <= 32).
// Chooses among tiles dividing the
// channels the most accumulators, then the fewest loads per FMA: 4 vectors x 7 images where the
// channels allow. Measured on the 3x3 layers 4x4x256 / 2x2x512, forward, GFLOP/s: 4x7 142 / 157,
// 2x12 148 / 148, 2x14 122 / 133, 4x6 110 / 128, 1x28 67 / 82.
inline BatchTile batch_tile(const Machine& m, int channels) {
  const int lanes = lanes_for(m, channels);
  const int max_vectors = std::max(1, channels / lanes);
  BatchTile best{lanes, 1, 1};
  double best_score = -1;
  for (int v = 1; v <= std::min(max_vectors, 4); ++v) {
    if (max_vectors % v != 0) continue;
    for (int images = 1; images * v <= m.max_accumulators() && images <= 14; ++images) {
      const int acc = v * images;
      if (acc + m.step_registers(v) > m.registers) continue;
      const double score = acc * 10 - double(v + images) / acc;
      if (score > best_score) best_score = score, best = {lanes, v, images};
    }
  }
  return best;
}

// A backward-data pass's batch tile: 2 channel vectors x 8 images where the registers hold them,
// else the forward's. Its reduction streams the transposed weights and one row of d_out per image
// of the tile: two vectors, and images in eights (whole tiles of batches of 8, 16, 32), beat the
// forward's 4 x 7 on every small-image backward-data pass (benchmarks/RESULTS.md).
inline BatchTile backward_data_batch_tile(const Machine& m, int channels) {
  const int lanes = lanes_for(m, channels), vectors = 2, images = 8;
  const bool fits = (channels / lanes) % vectors == 0 && vectors * images <= m.max_accumulators() &&
                    vectors * images + m.step_registers(vectors) <= m.registers;
  return fits ? BatchTile{lanes, vectors, images} : batch_tile(m, channels);
}

// A pointwise (1x1, unpadded; strided only on 4x4 and 2x2 outputs) forward is a matrix product over
// the batch's output pixels (conv2d.hpp's flattens_pixels): its tile is channel vectors x consecutive
// points of that flattened dimension, with no row or batch to divide. Up to 4 vectors x 6 points
// where the channels and registers allow (AVX-512: 24 accumulators, 29 registers with the weights
// and a broadcast; 16 registers: 2 x 6, the classic AVX2 GEMM tile): JIT-compiled beside the image and
// batch tiles and called alternately, 1.00-1.09x their speed on 15x15x64 -> 256, 1.01-1.07x on
// 8x8x128 -> 512, 1.03-1.08x on 4x4x256 -> 1024; 2 vectors x 12-14 points 0.83-0.86x, 4 x 7 (33
// registers) below 4 x 6. Layers of two vectors (32 or 96 channels) take 8 points, the fastest of
// every count from 4 to 14 (benchmarks/RESULTS.md).
struct PointTile {
  int lanes, vectors, points;
  int channels() const { return lanes * vectors; }
};

inline PointTile point_tile(const Machine& m, int channels) {
  const int lanes = lanes_for(m, channels), max_vectors = std::max(1, channels / lanes);
  const auto points = [&](int v) { return std::min(v == 4 ? 6 : v == 2 ? 8 : 24, m.max_accumulators() / v); };
  int vectors = 1;
  for (const int v : {4, 2})
    if (vectors == 1 && max_vectors % v == 0 && points(v) * v + m.step_registers(v) <= m.registers) vectors = v;
  return {lanes, vectors, points(vectors)};
}

// Whether the image tile of `channels` over a width x height image is one row, in at most 8 x
// tiles: a schedule can then unroll the x tiles and the kernel columns, so that every unrolled
// FMA's pixel and tap are constants and a tap predicate folds to keeping or dropping it, while
// the rows of taps above and below the image trim the ky loop. (16 tiles of a 224-pixel row made
// VGG-16's first forward 90 KB of code, more than the instruction cache holds.)
inline bool unrolls_columns(const ConvTile& t, int width) { return t.rows == 1 && (width + t.cols - 1) / t.cols <= 8; }
inline bool row_tiles_unrollable(const Machine& m, int width, int height, int channels) {
  return unrolls_columns(conv_tile(m, channels, width, height), width);
}

// Whether a padded forward pass leaves the taps that land in the padding out of its reduction
// (codegen/conv2d.cpp's tap predicate) rather than multiplying a materialised zero border: batch
// tiles (one pixel a tile) and unrollable row tiles.
inline bool forward_skips_padding(const Machine& m, int out_w, int out_h, int channels, bool padded) {
  return padded && (batch_tiled(out_w, out_h) || row_tiles_unrollable(m, out_w, out_h, channels));
}

// The channels of the register tile of a forward or backward-data pass producing `channels`
// channels over a width x height image: the batch tile's on small images, the image tile's else.
// The weights are laid out in blocks of these channels (codegen/conv2d.cpp).
inline int tile_channels(const Machine& m, int channels, int width, int height) {
  return batch_tiled(width, height) ? batch_tile(m, channels).channels() : conv_tile(m, channels, width, height).channels();
}
// A backward-data pass's image tile. Where taps may miss the image (a kernel wider than 1, or
// padding), each is tested around its FMA unless the tile is one row whose columns unroll, where
// the test folds away: such a pass takes a one-row tile where one unrolls (LeNet-5's 14x14x6 5x5
// pass had 14 x 2 pixels, every tap tested).
inline ConvTile backward_data_tile(const Machine& m, int channels, int width, int height, bool taps_tested) {
  const ConvTile one_row = conv_tile(m, channels, width, 1);
  return taps_tested && unrolls_columns(one_row, width) ? one_row : conv_tile(m, channels, width, height);
}

inline int backward_data_tile_channels(const Machine& m, int channels, int width, int height, bool taps_tested) {
  return batch_tiled(width, height) ? backward_data_batch_tile(m, channels).channels()
                                    : backward_data_tile(m, channels, width, height, taps_tested).channels();
}

// The accumulator tile of a backward-weights pass: `vectors` vectors of output channels x `inputs`
// input channels x `columns` kernel columns; each step of the reduction (one output pixel) loads
// `vectors` d_out vectors and broadcasts inputs x columns input values. Kernels up to 3 wide: the
// most vectors first (up to 4) among tiles holding 3/4 of the machine's accumulators or more; then
// the most accumulators up to the machine's (28 of AVX-512's 32 registers: accumulators + vectors +
// 1 <= 32), then exact tiles, then the fewest loads per FMA.
struct WeightTile {
  int lanes, vectors, inputs, columns;
  int channels() const { return lanes * vectors; }
};

inline WeightTile weight_tile(const Machine& m, int channels, int inputs, int kernel_w) {
  const int lanes = lanes_for(m, channels), max_acc = m.max_accumulators();
  const int max_vectors = std::max(1, channels / lanes);
  WeightTile best{lanes, 1, 1, 1};
  double best_score = -1;
  for (int v = 1; v <= std::min(max_vectors, 4); ++v) {
    if ((channels / lanes) % v != 0) continue;
    for (int cols = 1; cols <= kernel_w; ++cols) {
      if (kernel_w % cols != 0) continue;
      for (int in = 1; in <= std::min(inputs, max_acc); ++in) {
        const int acc = v * in * cols;
        if (acc > max_acc || acc + v + 1 + (m.fma ? 0 : 1) > m.registers) continue;
        const bool exact = inputs % in == 0;
        // Accumulators count most (16 exact ones measured slower than 28 with a recomputed tile),
        // as they still do for the 7x7 stem; in 1x1 and 3x3 layers the most output-channel vectors
        // come first: 4 vectors x 6 inputs (24 accumulators, 10 loads a
        // step; 3x3: 4 x 2 inputs x 3 columns) rather than 2 x 14 (28, 16 loads). Paired with
        // oneDNN, two runs each way: 1x1 15x15x64 -> 64 0.84 -> 0.98x, 15x15x64 -> 256 0.72 ->
        // 0.87-0.90x, 15x15x256 -> 64 0.66-0.69 -> 0.84x, 8x8x128 -> 512 0.78-0.80 -> 0.84-0.86x,
        // 8x8x512 -> 128 0.69-0.72 -> 0.84x, the strided and small-image 1x1 layers even or ahead;
        // 3x3 even on 15x15x64 and 4x4x256, 0.90-0.91 -> 0.92-0.94x on 8x8x128, 2.5-2.8 -> 2.9-3.0x
        // on 2x2x512.
        // More vectors only while the tile keeps 3/4 of the machine's accumulators: on AVX2 4
        // vectors leave room for 8 of 12 (4 x 2), and 2 x 6 is the tile that fills them.
        const bool full = 4 * acc >= 3 * max_acc;
        const double score = (kernel_w <= 3 && full ? v * 1000 : 0) + acc * 10 + (exact ? 5 : 0) - double(v + in * cols) / acc;
        if (score > best_score) best_score = score, best = {lanes, v, in, cols};
      }
    }
  }
  return best;
}

// The weight-gradient tile of a layer producing out_w x out_h pixels. Small images (batch_tiled)
// reduce the whole batch in registers one tap at a time, and there a tile of one kernel column
// holding more input channels keeps the most accumulators busy on every instruction set.
inline WeightTile weight_tile_of(const Machine& m, int channels, int inputs, int kernel_w, int out_w, int out_h) {
  return weight_tile(m, channels, inputs, batch_tiled(out_w, out_h) ? 1 : kernel_w);
}

// The output rows a weight-gradient pass on large images reads per block, or 0 for the whole image.
// Each tile of its accumulators sweeps every pixel; once an image's input and d_out outgrow the
// L2 cache, each sweep reads them from memory again (VGG-16's 224x224x64 layer: 25 MB an image,
// 0.35x oneDNN). Blocked, every tile sweeps a block of rows that stays in L2 (Machine::l2_budget).
inline int weight_gradient_row_block(const Machine& m, int in_w, int in_c, int out_w, int out_h, int out_c) {
  const long budget = m.l2_budget;
  const long row_bytes = 4L * (long(in_w) * in_c + long(out_w) * out_c);
  if (row_bytes * out_h <= budget) return 0;
  return static_cast<int>(std::max(1L, budget / row_bytes));
}

// How many parts a weight-gradient pass on images of more than 16 pixels divides its input
// channels into, beside its tiles of output channels, so that a layer of one channel tile (64
// channels) still gives the second core a task. Every part reads all of its tile's d_out and sums
// each weight in the same order: the gradients are bitwise those of one part. JIT, paired with
// oneDNN, medians of 20+ alternating calls (one thread -> two, GFLOP/s, one part -> two):
//  - 3x3 15x15x64 -> 64: one thread 167 -> 163 (0.92 -> 0.91x oneDNN), two 134 -> 233 (0.50 ->
//    0.89x): split.
//  - 1x1 15x15x64 -> 64: one thread 133 -> 104 (1.01 -> 0.79x), two 112 -> 136; 1x1 15x15x256 ->
//    64: 148 -> 121 (0.96 -> 0.79x), two 128 -> 179. Its d_out read twice costs one thread a fifth
//    of a pass with little arithmetic per value read: kept whole, one task.
// Each part is a whole number of input tiles and the parts divide the inputs: a part rounded up
// would read input channels that do not exist (3 inputs in tiles of 1 on AVX2's 7x7 stem).
inline int weight_gradient_input_parts(const Machine& m, int channels, int inputs, int kernel_w) {
  const WeightTile t = weight_tile(m, channels, inputs, kernel_w);
  const bool one_task = (channels + t.channels() - 1) / t.channels() == 1;
  return one_task && kernel_w > 1 && inputs % (2 * t.inputs) == 0 ? 2 : 1;
}

// Whether a weight-gradient pass reads its input through a copy blocked by the tile's input
// channels (codegen/conv2d.cpp's in_blocked): 1x1 layers without padding, more input channels than
// one tile, and at least 256 output channels, so that each float copied feeds >= 256 multiply-adds.
// Measured (one thread, fraction of oneDNN, before -> after blocking): strided 8x8x512 -> 256
// 0.55 -> 1.07x and -> 1024 0.54 -> 1.16x, 8x8x128 -> 512 0.59 -> 0.86x, 4x4x1024 -> 256 0.53 ->
// 0.80x; with 64 output channels the copy cost more than it saved (15x15x256 -> 64: 0.78 -> 0.67x),
// with 128 it was even (0.63 -> 0.65x, 0.92 -> 0.88x).
inline bool blocks_weight_gradient_input(const Machine& m, int kernel_w, int kernel_h, bool padded, int inputs, int channels) {
  return kernel_w == 1 && kernel_h == 1 && !padded && inputs > weight_tile(m, channels, inputs, 1).inputs && channels >= 256;
}

// The blocks of that copy written by one sweep over the input's pixels: few enough streams for the
// write-combining and TLB entries, many enough that a pixel's read is several cache lines.
inline constexpr int kBlockedInputGroup = 8;

}  // namespace cnngen::schedules
