#include "core/precision.h"

#include <ATen/autocast_mode.h>

#include <fstream>

#include "core/error.h"

namespace vedkit {

bool cpu_has_native_bfloat16() {
  static const bool native = [] {
    std::ifstream info("/proc/cpuinfo");
    std::string line;
    while (std::getline(info, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      line += " ";
      return line.find(" avx512_bf16 ") != std::string::npos ||
             line.find(" amx_bf16 ") != std::string::npos;
    }
    return false;
  }();
  return native;
}

bool runs_in_bfloat16(const std::string& precision, c10::DeviceType device) {
  return runs_in_bfloat16(precision, device, cpu_has_native_bfloat16());
}

bool runs_in_bfloat16(const std::string& precision, c10::DeviceType device, bool native_cpu) {
  const bool native = device != c10::kCPU || native_cpu;
  if (precision == "float32") return false;
  if (precision == "auto") return native;
  if (precision == "bfloat16_any_cpu") return true;
  if (precision != "bfloat16") {
    throw Error("precision '" + precision +
                "': expected float32, bfloat16, auto or bfloat16_any_cpu");
  }
  if (!native) {
    throw Error("precision 'bfloat16': this CPU has no native bfloat16 (AVX-512 BF16 or AMX) "
                "and would run it about 70x slower than float32; use float32, or auto "
                "(bfloat16 only where the CPU has it), or bfloat16_any_cpu to run it anyway");
  }
  return true;
}

void set_precision(torch::nn::Module& model, const std::string& precision) {
  const auto parameters = model.parameters();
  const auto device = parameters.empty() ? c10::kCPU : parameters.front().device().type();
  if (runs_in_bfloat16(precision, device)) model.to(torch::kBFloat16);
}

MixedPrecisionScope::MixedPrecisionScope(const std::string& precision, c10::DeviceType device) {
  if (!runs_in_bfloat16(precision, device)) return;
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
