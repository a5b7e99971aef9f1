#include "core/runtime.h"

#include <ATen/Parallel.h>
#include <malloc.h>
#include <omp.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <climits>
#include <thread>

#include "core/distributed.h"
#include "core/error.h"

namespace vedkit {

RuntimeOptions read_runtime_options(ConfigSection section) {
  RuntimeOptions options;
  options.device = section.get_string("device", options.device, {"auto", "cpu", "cuda"});
  options.threads = section.get_int("threads", options.threads, {0, 4096});
  options.seed = section.get_int("seed", options.seed, {0, std::numeric_limits<int64_t>::max()});
  return options;
}

void hold_freed_memory() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

ThreadCountScope::ThreadCountScope(int threads) : previous_(at::get_num_threads()) {
  if (threads != previous_) omp_set_num_threads(threads);
}

ThreadCountScope::~ThreadCountScope() {
  if (at::get_num_threads() != previous_) omp_set_num_threads(previous_);
}

void use_all_cores() {
  hold_freed_memory();
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0 && at::get_num_threads() != static_cast<int>(cores)) {
    at::set_num_threads(static_cast<int>(cores));
  }
}

void use_threads(int64_t threads) {
  // Ranks that a launcher started on this machine share its cores.
  const int64_t ranks_here = launch_from_environment().local_world_size;
  if (threads == 0 && ranks_here > 1) {
    threads = std::max<int64_t>(1, std::thread::hardware_concurrency() / ranks_here);
  }
  if (threads > 0) {
    hold_freed_memory();
    at::set_num_threads(static_cast<int>(threads));
  } else {
    use_all_cores();
  }
}

c10::Device apply_runtime(const RuntimeOptions& options) {
  use_threads(options.threads);
  torch::manual_seed(static_cast<uint64_t>(options.seed));
  const bool cuda = torch::cuda::is_available();
  if (options.device == "cuda" && !cuda) {
    throw ConfigError(
        "runtime.device: 'cuda' was asked for, but this LibTorch has no CUDA support or sees "
        "no GPU; use 'auto' or 'cpu'");
  }
  if (options.device == "cpu" || !cuda) return c10::Device(c10::kCPU);
  return c10::Device(c10::kCUDA);
}

}  // namespace vedkit
