#include "core/distributed.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/support/error_of.h"

namespace vedkit {
namespace {

using testing::error_of;

LaunchInfo launch_with(const std::map<std::string, std::string>& variables) {
  return launch_from_environment([&](const char* name) -> const char* {
    const auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

TEST(LaunchEnvironment, NoLauncherIsOneProcess) {
  const auto launch = launch_with({});
  EXPECT_EQ(launch.world_size, 1);
  EXPECT_EQ(launch.rank, 0);
  EXPECT_EQ(launch.launcher, "none");
}

TEST(LaunchEnvironment, ReadsTorchrunsVariables) {
  const auto launch = launch_with({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"},
                                   {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.7"},
                                   {"MASTER_PORT", "29600"}});
  EXPECT_EQ(launch.launcher, "torchrun");
  EXPECT_EQ(launch.rank, 3);
  EXPECT_EQ(launch.world_size, 8);
  EXPECT_EQ(launch.local_rank, 1);
  EXPECT_EQ(launch.local_world_size, 2);
  EXPECT_EQ(launch.master_addr, "10.0.0.7");
  EXPECT_EQ(launch.master_port, 29600);
}

TEST(LaunchEnvironment, ReadsSlurmsVariablesWithTheFirstNodeAsMaster) {
  const auto launch = launch_with({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"},
                                   {"SLURM_LOCALID", "1"}, {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                                   {"SLURM_JOB_NODELIST", "gpu[07-08]"}});
  EXPECT_EQ(launch.launcher, "slurm");
  EXPECT_EQ(launch.rank, 5);
  EXPECT_EQ(launch.world_size, 8);
  EXPECT_EQ(launch.local_rank, 1);
  EXPECT_EQ(launch.local_world_size, 4);
  EXPECT_EQ(launch.master_addr, "gpu07");
  EXPECT_EQ(launch.master_port, 29500);
}

TEST(LaunchEnvironment, FirstSlurmHostOfEveryListForm) {
  EXPECT_EQ(first_slurm_host("node1"), "node1");
  EXPECT_EQ(first_slurm_host("node1,node2"), "node1");
  EXPECT_EQ(first_slurm_host("gpu[03-05,9],cpu1"), "gpu03");
  EXPECT_EQ(first_slurm_host("gpu[9,11]"), "gpu9");
  EXPECT_EQ(first_slurm_host("a1,gpu[1-2]"), "a1");
  EXPECT_NE(error_of([] { first_slurm_host("gpu[03"); }).find("SLURM_JOB_NODELIST=gpu[03"),
            std::string::npos);
}

TEST(LaunchEnvironment, BadValuesNameTheVariable) {
  EXPECT_NE(error_of([] { launch_with({{"RANK", "2"}, {"WORLD_SIZE", "2"}}); })
                .find("RANK=2 is not a whole number in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of([] { launch_with({{"RANK", "0"}, {"WORLD_SIZE", "two"}}); }).find("WORLD_SIZE=two"),
            std::string::npos);
  EXPECT_NE(error_of([] { launch_with({{"RANK", "0"}}); }).find("WORLD_SIZE is not set"),
            std::string::npos);
  EXPECT_NE(error_of([] { launch_with({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_PORT", "70000"}}); })
                .find("MASTER_PORT=70000"),
            std::string::npos);
}

TEST(DataShard, RanksSplitEveryGlobalBatchWithoutOverlapInTheSingleProcessOrder) {
  const int64_t samples = 37, per_rank = 4, ranks = 3;
  const DataShard alone{0, 1};
  const int64_t batches = DataShard{0, ranks}.train_batches(samples, per_rank);
  EXPECT_EQ(batches, 3);  // 37 / 12
  for (int64_t b = 0; b < batches; ++b) {
    std::set<int64_t> positions;
    for (int64_t rank = 0; rank < ranks; ++rank) {
      for (int64_t i = 0; i < per_rank; ++i) positions.insert(DataShard{rank, ranks}.position(b, i, per_rank));
    }
    // The same positions as one process's batch b of 12.
    std::set<int64_t> expected;
    for (int64_t i = 0; i < per_rank * ranks; ++i) expected.insert(alone.position(b, i, per_rank * ranks));
    EXPECT_EQ(positions, expected);
  }
  EXPECT_EQ(DataShard({1, 3}).val_batches(8), (std::vector<int64_t>{1, 4, 7}));
}

}  // namespace
}  // namespace vedkit
