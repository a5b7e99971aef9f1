#include "vision/layers/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/relative_diff.h"

namespace vedkit {
namespace {

using testing::relative_diff;

// A group of one rank (its own TCPStore on 127.0.0.1): every all-reduce is the identity, so
// the synchronised batch norm must equal torch's, forward, backward and running statistics.
TEST(SyncBatchNorm, OnOneRankEqualsTorchsBatchNormForwardBackwardAndRunningStatistics) {
  LaunchInfo launch;
  launch.master_port = 29741;
  const auto group = RankGroup::join(launch, DistributedOptions{}, c10::kCPU);
  torch::nn::BatchNorm2d reference(6), synced(6);
  {
    torch::NoGradGuard no_grad;
    reference->weight.uniform_(0.5, 1.5);
    reference->bias.uniform_(-0.5, 0.5);
    synced->weight.copy_(reference->weight);
    synced->bias.copy_(reference->bias);
  }
  const auto input = (torch::randn({3, 6, 5, 7}) * 2 + 1).requires_grad_();
  const auto other = input.detach().clone().requires_grad_();
  const auto upstream = torch::randn({3, 6, 5, 7});
  const auto expected = reference->forward(input);
  const auto actual = sync_batch_norm(other, *synced, *group);
  EXPECT_LT(relative_diff(actual, expected), 1e-5);
  (expected * upstream).sum().backward();
  (actual * upstream).sum().backward();
  EXPECT_LT(relative_diff(other.grad(), input.grad()), 1e-4);
  EXPECT_LT(relative_diff(synced->weight.grad(), reference->weight.grad()), 1e-4);
  EXPECT_LT(relative_diff(synced->bias.grad(), reference->bias.grad()), 1e-4);
  EXPECT_LT(relative_diff(synced->running_mean, reference->running_mean), 1e-5);
  EXPECT_LT(relative_diff(synced->running_var, reference->running_var), 1e-5);
  EXPECT_EQ(synced->num_batches_tracked.item<int64_t>(), 1);
}

}  // namespace
}  // namespace vedkit
