#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <string>

#include "core/error.h"
#include "vision/inference/lazy_conv_graph.h"

namespace vedkit::bench {

struct PassTimes {
  double passes_per_s = 0, mean_ms = 0, best_ms = 0;
};

// Runs `pass` `warmup` times to warm up, then for at least `seconds` (and min_passes passes).
// The fastest pass shows what the code can do when the VM's host lets it; the mean, what it did.
inline PassTimes measure_passes(const std::function<void()>& pass, double seconds,
                                int64_t warmup = 3, int64_t min_passes = 5) {
  for (int64_t i = 0; i < warmup; ++i) pass();
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  int64_t passes = 0;
  double elapsed = 0, best = 1e30;
  while (elapsed < seconds || passes < min_passes) {
    const auto began = clock::now();
    pass();
    ++passes;
    const auto now = clock::now();
    best = std::min(best, std::chrono::duration<double>(now - began).count());
    elapsed = std::chrono::duration<double>(now - start).count();
  }
  return {passes / elapsed, 1000.0 * elapsed / passes, 1000.0 * best};
}

// measure_passes, then the line the bench drivers read: "images_per_s latency_ms best_pass_ms".
inline void time_passes(const std::function<void()>& pass, int64_t images_per_pass, double seconds) {
  const auto t = measure_passes(pass, seconds);
  std::cout << t.passes_per_s * images_per_pass << " " << t.mean_ms << " " << t.best_ms << "\n";
}

// --engine: "onednn" (the default: whole float32 conv networks as oneDNN graphs where the build
// has oneDNN) or "eager" (op by op, as before).
inline void choose_engine(const std::string& engine) {
  if (engine != "onednn" && engine != "eager") {
    throw Error("--engine: expected onednn or eager, got '" + engine + "'");
  }
  set_conv_graph_enabled(engine == "onednn");
}

// Says on stderr which path the timed passes took, so a table never credits the wrong one.
inline void report_engine() {
  std::cerr << (conv_graph_passes() > 0 ? "engine: oneDNN graph\n" : "engine: eager\n");
}

}  // namespace vedkit::bench
