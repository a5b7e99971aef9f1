#pragma once

#include <ATen/core/Tensor.h>

namespace vedkit::testing {

// The largest absolute difference of actual from expected, over expected's largest magnitude.
inline double relative_diff(const at::Tensor& actual, const at::Tensor& expected) {
  return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

}  // namespace vedkit::testing
