// fp32-peak: the CPU's FP32 fused multiply-add peak on every hardware thread, in GFLOP/s; the
// figure the bench drivers divide by for "% FP32 peak". Prints "gflop_per_s threads".
//
// Each thread runs independent FMA chains, enough to cover the FMA latency of every pipe, in
// the widest vectors the compiler targets (-march=native): the most a convolution could reach.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

// The widest vectors the CPU has, and enough chains to cover every FMA pipe's latency while
// all of them stay in registers: 16 of AVX-512's 32, 12 of AVX2's 16 (16 chains of 16 lanes
// on an AVX2 CPU spill to memory and read 11 GFLOP/s on a Zen 3, not its 146-188).
#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int kChains = 16;
#else
constexpr int kLanes = 8;
constexpr int kChains = 12;
#endif
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
constexpr long kIterations = 50'000'000;
constexpr double kFlopsPerIteration = kChains * kLanes * 2.0;

float fma_chains(float seed) {
  Lanes chains[kChains];
  for (int c = 0; c < kChains; ++c) chains[c] = Lanes{} + seed * static_cast<float>(c + 1);
  const Lanes scale = Lanes{} + 0.999999f, offset = Lanes{} + 1e-7f;
  for (long i = 0; i < kIterations; ++i) {
    for (auto& chain : chains) chain = chain * scale + offset;
  }
  float sum = 0;
  for (const auto& chain : chains) {
    for (int lane = 0; lane < kLanes; ++lane) sum += chain[lane];
  }
  return sum;
}

double seconds_on_all_threads(unsigned threads) {
  std::vector<float> sums(threads);
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < threads; ++t) workers.emplace_back([&sums, t] { sums[t] = fma_chains(t + 1.0f); });
  for (auto& worker : workers) worker.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  // Reading the sums keeps the compiler from dropping the loops as unused.
  if (*std::min_element(sums.begin(), sums.end()) < 0) std::fprintf(stderr, "unexpected sum\n");
  return elapsed.count();
}

}  // namespace

int main() {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double best = 1e30;
  for (int round = 0; round < 3; ++round) best = std::min(best, seconds_on_all_threads(threads));
  std::printf("%.1f %u\n", threads * kIterations * kFlopsPerIteration / best / 1e9, threads);
}
