#pragma once

#include <cstdint>

namespace vedkit {

// The splitmix64 generator with its own uniform and normal draws. std:: distributions differ
// between standard libraries; these give the same scenes for a seed everywhere.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // In [0, 1), from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // In [0, n).
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }

  // Close to a standard normal: four uniforms summed (Irwin-Hall) and scaled to unit variance.
  // Uses no libm call, whose last bits may differ between platforms.
  double normal() {
    const double sum = uniform() + uniform() + uniform() + uniform();
    return (sum - 2.0) * 1.7320508075688772;  // sqrt(3): the sum's variance is 4/12
  }

 private:
  uint64_t state_;
};

// The seed of item `index` of a stream: independent of the other indices, so any one scene can
// be rebuilt alone.
inline uint64_t derive_seed(uint64_t seed, uint64_t index) {
  SplitMix64 outer(seed);
  SplitMix64 inner(outer.next() ^ index);
  return inner.next();
}

}  // namespace vedkit
