#include "core/runtime.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <thread>

#include "core/error.h"

namespace vedkit {
namespace {

TEST(Runtime, DefaultsUseEveryCore) {
  auto config = Config::from_text("runtime: {}\n", "r.yaml");
  const auto options = read_runtime_options(config.section("runtime"));
  EXPECT_EQ(options.device, "auto");
  apply_runtime(options);
  EXPECT_EQ(at::get_num_threads(), static_cast<int>(std::thread::hardware_concurrency()));
}

TEST(Runtime, ThreadCountFromConfig) {
  auto config = Config::from_text("runtime: {threads: 1}\n", "r.yaml");
  apply_runtime(read_runtime_options(config.section("runtime")));
  EXPECT_EQ(at::get_num_threads(), 1);
  use_all_cores();
}

#if defined(__SANITIZE_ADDRESS__)  // GCC
#define VEDKIT_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang
#define VEDKIT_ADDRESS_SANITIZER 1
#endif
#endif

TEST(Runtime, FreedMemoryStaysInTheProcess) {
#ifdef VEDKIT_ADDRESS_SANITIZER
  GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's, whose trimming this checks";
#endif
  use_all_cores();
  const size_t size = 64 << 20;              // far over glibc's default mmap threshold
  const size_t mapped = mallinfo2().hblkhd;  // blocks mmap'd before the call
  void* block = malloc(size);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(mallinfo2().hblkhd, mapped) << "a 64 MiB block was mmap'd";
  const size_t held = mallinfo2().arena;
  EXPECT_GE(held, size);
  free(block);
  EXPECT_EQ(mallinfo2().arena, held) << "freeing trimmed the heap";
}

TEST(Runtime, ThreadCountScopeRestoresTheCount) {
  use_all_cores();
  const int cores = at::get_num_threads();
  {
    ThreadCountScope one(1);
    EXPECT_EQ(at::get_num_threads(), 1);
    EXPECT_EQ(torch::ones({1 << 16}).sum().item<float>(), 65536.0F);  // operators still run
  }
  EXPECT_EQ(at::get_num_threads(), cores);
}

TEST(Runtime, SameSeedGivesSameNumbers) {
  RuntimeOptions options;
  options.seed = 7;
  apply_runtime(options);
  const auto first = torch::randn({8});
  apply_runtime(options);
  EXPECT_TRUE(torch::equal(first, torch::randn({8})));
  options.seed = 8;
  apply_runtime(options);
  EXPECT_FALSE(torch::equal(first, torch::randn({8})));
}

TEST(Runtime, CudaWithoutCudaIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  RuntimeOptions options;
  options.device = "cuda";
  EXPECT_THROW(apply_runtime(options), ConfigError);
  options.device = "auto";
  EXPECT_EQ(apply_runtime(options).type(), c10::kCPU);
}

TEST(Runtime, BadDeviceNameIsAConfigError) {
  auto config = Config::from_text("runtime: {device: gpu}\n", "r.yaml");
  EXPECT_THROW(read_runtime_options(config.section("runtime")), ConfigError);
}

}  // namespace
}  // namespace vedkit
