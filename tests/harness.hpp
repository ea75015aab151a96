// Calling generated kernels from tests on plain vectors, and comparing results.
#pragma once
#include <HalideBuffer.h>
#include <HalideRuntime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <cnngen/kernel_table.hpp>
#include <cnngen/plan.hpp>

namespace harness {

using Buffer = Halide::Runtime::Buffer<float>;
using Vec = std::vector<float>;

inline Vec random_vec(size_t n, std::mt19937& rng, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  Vec v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// A Halide-allocated (aligned) buffer of the given Halide dims holding v.
inline Buffer buffer(const Vec& v, std::vector<int> dims) {
  Buffer b(dims);
  EXPECT_EQ(b.number_of_elements(), v.size());
  std::copy(v.begin(), v.end(), b.data());
  return b;
}

inline Vec vec(const Buffer& b) { return Vec(b.data(), b.data() + b.number_of_elements()); }

inline std::vector<int> image_dims(const cnngen::Shape& s, int n) { return {s.c, s.w, s.h, n}; }

// Halide's default handler ends the process; a test wants the message and to go on.
inline std::string& last_halide_error() {
  static std::string message;
  return message;
}
extern "C" inline void keep_halide_error(void*, const char* msg) { last_halide_error() = msg; }

// Runs the named kernel; args are halide_buffer_t* or scalar pointers in the order its layer kind's unit documents.
inline void call(const cnngen::KernelTable& table, const std::string& name, std::vector<void*> args) {
  halide_set_error_handler(keep_halide_error);
  cnngen::KernelFn fn = table.find(name);
  ASSERT_NE(fn, nullptr) << "no generated kernel " << name;
  ASSERT_EQ(fn(args.data()), 0) << "kernel " << name << " failed: " << last_halide_error();
}

// max |got - want| / max |want|: the error relative to the result's scale.
inline double relative_error(const Vec& got, const Vec& want) {
  EXPECT_EQ(got.size(), want.size());
  double err = 0, scale = 1e-30;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    err = std::max(err, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(double(want[i])));
  }
  return err / scale;
}

}  // namespace harness

#define EXPECT_CLOSE(got, want, what) EXPECT_LE(harness::relative_error(got, want), 1e-4) << what
