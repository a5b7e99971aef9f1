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

// LibTorch starts with one thread on these machines; every app calls one of these (or
// apply_runtime) first. All of them also call hold_freed_memory.
void use_all_cores();
void use_threads(int64_t threads);  // 0: every core, shared by the ranks launched on it

// glibc's malloc gives blocks over its mmap threshold back to the kernel when freed, so every
// forward pass faults its activations' pages in again; on these VMs that made the ViT-Ti
// encoder 2.3x and a batch-8 U-Net 3x slower. This keeps freed memory in the process for reuse:
// no mmap'd blocks, no trimming. The resident size stays at its peak.
void hold_freed_memory();

// The calling thread's LibTorch operators run on `threads` threads while this lives; the
// count before it comes back after. OpenMP keeps a count per thread, and this sets only
// OpenMP's: at::set_num_threads also rebuilds LibTorch's thread pool, which cost about 20 ms
// per switch here.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads);
  ~ThreadCountScope();
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int previous_;
};

}  // namespace vedkit
