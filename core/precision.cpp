#include "core/precision.h"

#include <ATen/autocast_mode.h>

#include "core/error.h"

namespace vedkit {
namespace {

// Whether precision asks for bfloat16; anything but float32 and bfloat16 is an Error.
bool is_bfloat16(const std::string& precision) {
  if (precision != "float32" && precision != "bfloat16") {
    throw Error("precision '" + precision + "': expected float32 or bfloat16");
  }
  return precision == "bfloat16";
}

}  // namespace

void set_precision(torch::nn::Module& model, const std::string& precision) {
  if (is_bfloat16(precision)) model.to(torch::kBFloat16);
}

MixedPrecisionScope::MixedPrecisionScope(const std::string& precision) {
  if (!is_bfloat16(precision)) return;
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
