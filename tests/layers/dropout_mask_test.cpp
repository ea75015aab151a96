// Dropout's mask as its unit defines it (tests/layers/dropout.cpp's masked, which the kernels
// match there): in test_kernels only, not in every suite that links the units.
#include "unit_checks.hpp"

namespace unit_tests {

Vec masked(const Vec& v, const std::vector<uint32_t>& seeds, size_t sample, float rate);

// The mask's definition, over samples of 2^16 values: it keeps 1 - rate of them, different ones
// for different seeds, the same ones for the same seed.
TEST(DropoutMask, KeepsOneMinusRateDifferentlyPerSeed) {
  const size_t sample = 1 << 16;
  const std::vector<uint32_t> seeds{1, 2, 1};
  for (float rate : {0.1f, 0.5f, 0.9f}) {
    const Vec out = masked(Vec(sample * seeds.size(), 1.0f), seeds, sample, rate);
    size_t kept = 0, differ = 0, same = 0;
    for (size_t i = 0; i < sample; ++i) {
      kept += out[i] != 0;
      differ += (out[i] != 0) != (out[sample + i] != 0);
      same += out[i] == out[2 * sample + i];
    }
    EXPECT_NEAR(double(kept) / sample, 1.0 - rate, 0.01) << "rate " << rate;
    EXPECT_NEAR(double(differ) / sample, 2 * rate * (1 - rate), 0.01) << "rate " << rate;
    EXPECT_EQ(same, sample) << "rate " << rate;
  }
}

}  // namespace unit_tests
