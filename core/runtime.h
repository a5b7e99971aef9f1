#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>

#include "core/config.h"

namespace vedkit {

struct RuntimeOptions {
  std::string device = "auto";  // auto | cpu | cuda
  int64_t threads = 0;          // 0 = every core
  int64_t seed = 0;
};

RuntimeOptions read_runtime_options(ConfigSection section);

// Sets the thread count and seeds every generator; returns the device to run on.
// `cuda` without a CUDA build or GPU is a ConfigError.
c10::Device apply_runtime(const RuntimeOptions& options);

// LibTorch starts with one thread on these machines; every app calls this first.
void use_all_cores();

}  // namespace vedkit
