#pragma once

#include <torch/nn/module.h>

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <string>

namespace vedkit {

// Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX, from /proc/cpuinfo). Where
// it does not, bfloat16 is emulated and runs about 70x slower than float32 (a Zen 3).
bool cpu_has_native_bfloat16();

// Whether `precision` runs in bfloat16 on `device`: "float32" never; "bfloat16" yes, but on a
// CPU without native bfloat16 it is an Error saying so and what to use instead; "auto" where
// the device has it natively (a CPU as above, or a GPU); "bfloat16_any_cpu" always, emulated
// or not. Any other name is an Error. `native_cpu` is cpu_has_native_bfloat16() but for tests.
bool runs_in_bfloat16(const std::string& precision, c10::DeviceType device);
bool runs_in_bfloat16(const std::string& precision, c10::DeviceType device, bool native_cpu);

// Casts a model prepared for inference to `precision` (runs_in_bfloat16, on the device of its
// parameters): bfloat16 is about twice as fast on CPUs with AVX-512 BF16 or AMX, at slightly
// different outputs.
void set_precision(torch::nn::Module& model, const std::string& precision);

// Mixed precision for training steps (`train.precision`): within the scope, matrix products and
// convolutions run in bfloat16 (autocast, on CPU and CUDA) while the weights, the optimizer and
// the operators autocast keeps in float32 stay float32. Where runs_in_bfloat16 says no, a no-op.
class MixedPrecisionScope {
 public:
  explicit MixedPrecisionScope(const std::string& precision, c10::DeviceType device = c10::kCPU);
  ~MixedPrecisionScope();
  MixedPrecisionScope(const MixedPrecisionScope&) = delete;
  MixedPrecisionScope& operator=(const MixedPrecisionScope&) = delete;

 private:
  bool enabled_ = false;
  bool cpu_was_enabled_ = false, gpu_was_enabled_ = false;
  at::ScalarType cpu_dtype_before_{}, gpu_dtype_before_{};
};

}  // namespace vedkit
