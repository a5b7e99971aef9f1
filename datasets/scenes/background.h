#pragma once

#include <opencv2/core/mat.hpp>

#include "datasets/scenes/splitmix64.h"

namespace vedkit {

enum class BackgroundKind { solid, gradient, texture };

// A size x size 8-bit BGR canvas of the given kind, its colours drawn from rng.
cv::Mat draw_background(BackgroundKind kind, int size, SplitMix64& rng);

// One of the three kinds, chosen by rng with equal odds.
cv::Mat draw_random_background(int size, SplitMix64& rng);

// Adds zero-mean Gaussian-like noise of the given standard deviation to every channel.
void add_pixel_noise(cv::Mat& image, double sigma, SplitMix64& rng);

}  // namespace vedkit
