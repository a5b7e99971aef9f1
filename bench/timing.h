#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>

namespace vedkit::bench {

// Runs `pass` three times to warm up, then for at least `seconds` (and 5 passes), and prints
// the line the bench drivers read: "images_per_s latency_ms".
inline void time_passes(const std::function<void()>& pass, int64_t images_per_pass, double seconds) {
  for (int i = 0; i < 3; ++i) pass();
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  int64_t passes = 0;
  double elapsed = 0;
  while (elapsed < seconds || passes < 5) {
    pass();
    ++passes;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  }
  std::cout << passes * images_per_pass / elapsed << " " << 1000.0 * elapsed / passes << "\n";
}

}  // namespace vedkit::bench
