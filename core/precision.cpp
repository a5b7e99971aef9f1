#include "core/precision.h"

#include <ATen/autocast_mode.h>

#include "core/error.h"

namespace vedkit {

void set_precision(torch::nn::Module& model, const std::string& precision) {
  if (precision == "bfloat16") {
    model.to(torch::kBFloat16);
  } else if (precision != "float32") {
    throw Error("precision '" + precision + "': expected float32 or bfloat16");
  }
}

MixedPrecisionScope::MixedPrecisionScope(const std::string& precision) {
  if (precision == "float32") return;
  if (precision != "bfloat16") {
    throw Error("train.precision '" + precision + "': expected float32 or bfloat16");
  }
  enabled_ = true;
  cpu_was_enabled_ = at::autocast::is_cpu_enabled();
  gpu_was_enabled_ = at::autocast::is_enabled();
  cpu_dtype_before_ = at::autocast::get_autocast_cpu_dtype();
  gpu_dtype_before_ = at::autocast::get_autocast_gpu_dtype();
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_enabled(true);
  at::autocast::increment_nesting();
}

MixedPrecisionScope::~MixedPrecisionScope() {
  if (!enabled_) return;
  // The outermost scope drops the bfloat16 copies of the weights cast in it.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(cpu_was_enabled_);
  at::autocast::set_enabled(gpu_was_enabled_);
  at::autocast::set_autocast_cpu_dtype(cpu_dtype_before_);
  at::autocast::set_autocast_gpu_dtype(gpu_dtype_before_);
}

}  // namespace vedkit
