#pragma once

#include <torch/nn/module.h>

#include <c10/core/ScalarType.h>

#include <string>

namespace vedkit {

// Casts a model prepared for inference to `precision`: float32 (as trained) or bfloat16, about
// twice as fast on CPUs with AVX-512 BF16 or AMX, at slightly different outputs. Anything else
// is an Error naming the value.
void set_precision(torch::nn::Module& model, const std::string& precision);

// Mixed precision for training steps (`train.precision`): within the scope, matrix products and
// convolutions run in bfloat16 (autocast, on CPU and CUDA) while the weights, the optimizer and
// the operators autocast keeps in float32 stay float32. "float32" makes it a no-op.
class MixedPrecisionScope {
 public:
  explicit MixedPrecisionScope(const std::string& precision);
  ~MixedPrecisionScope();
  MixedPrecisionScope(const MixedPrecisionScope&) = delete;
  MixedPrecisionScope& operator=(const MixedPrecisionScope&) = delete;

 private:
  bool enabled_ = false;
  bool cpu_was_enabled_ = false, gpu_was_enabled_ = false;
  at::ScalarType cpu_dtype_before_{}, gpu_dtype_before_{};
};

}  // namespace vedkit
