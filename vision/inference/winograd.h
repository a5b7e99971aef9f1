#pragma once
// 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016), on values in oneDNN's nChw8c
// layout: each 6x6 input tile and each kernel is transformed so that a tile's 16 outputs
// need 36 multiply-adds per channel pair instead of 144, and those become 36 matrix products
// (tiles x in-channels by in-channels x out-channels) on AVX2 and FMA. Used by the oneDNN
// runner on CPUs whose widest vectors are AVX2, where oneDNN has no Winograd kernel of its own.
// Its results differ from a direct convolution's by float rounding of the transforms, about
// 1e-6 of the values' scale.

#include <cstdint>
#include <memory>
#include <vector>

namespace vedkit::winograd {

// Whether this CPU runs the kernels (AVX2 and FMA).
bool available();

// available(), and not turned off: by VEDKIT_WINOGRAD=0 for a run (to compare, or to rule the
// algorithm out) or by set_enabled(false). Read when a runner plans a shape.
bool enabled();
void set_enabled(bool on);

// Whether Winograd beats oneDNN's direct kernel on this shape: not on the smallest maps,
// where its transformed weights, four times the size, take longer to read than it saves.
bool worthwhile(int64_t batch, int64_t height, int64_t width);

// A convolution's kernels, transformed and packed once.
struct Weights {
  int64_t out_channels = 0, in_channels = 0;  // both multiples of 8
  std::shared_ptr<float> packed;              // [36][out/16 rounded up][in][16]
};

// weight: [out][in][3][3] float at the given element strides.
Weights transform_weights(const float* weight, const int64_t strides[4], int64_t out_channels,
                          int64_t in_channels);

// dst = relu?(conv3x3(src, padding 1) + bias + (accumulate ? dst : 0)), all nChw8c with the
// weights' channel counts; src and dst must not overlap. bias may be null.
struct Conv {
  const float* src = nullptr;
  float* dst = nullptr;
  const float* bias = nullptr;
  int64_t batch = 0, height = 0, width = 0;
  bool accumulate = false, relu = false;
};
void run(const Conv& conv, const Weights& weights);

// How many convolutions run() has done in this process: which path ran, for tests and benches.
int64_t runs();

}  // namespace vedkit::winograd
