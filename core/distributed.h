#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace vedkit {

// A collective that failed: a rank was lost or did not answer within the timeout.
class DistributedError : public Error {
 public:
  using Error::Error;
};

// Where this process stands in a run of several, as its launcher says.
struct LaunchInfo {
  int64_t rank = 0, world_size = 1;
  int64_t local_rank = 0, local_world_size = 1;  // on this machine
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  std::string launcher = "none";  // none | torchrun (or vedkit-train --nproc) | slurm
};

// torchrun's RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT when
// RANK is set; else SLURM's SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
// SLURM_NTASKS_PER_NODE, with the first node of SLURM_JOB_NODELIST as master (MASTER_PORT,
// else 29500); else one process. A bad value is a ConfigError naming the variable.
using Environment = std::function<const char*(const char*)>;
LaunchInfo launch_from_environment(const Environment& environment);
LaunchInfo launch_from_environment();

// The first host of a SLURM node list: "gpu[03-05,9],cpu1" gives "gpu03".
std::string first_slurm_host(const std::string& nodelist);

struct DistributedOptions {
  std::string backend = "auto";  // auto (gloo on CPU, nccl on CUDA) | gloo | nccl
  double timeout_s = 300;        // rendezvous, and any collective
  double bucket_mb = 25;         // gradients all-reduced in buckets of about this size
  bool sync_batchnorm = false;   // batch-norm statistics over every rank's batch
};

DistributedOptions read_distributed_options(ConfigSection section);

// The ranks of one run, joined through c10d: a TCPStore served by rank 0 and a Gloo (or
// NCCL) process group. Every collective that fails throws a DistributedError naming the
// ranks that were lost.
class RankGroup {
 public:
  static std::unique_ptr<RankGroup> join(const LaunchInfo& launch, const DistributedOptions& options,
                                         c10::DeviceType device);
  ~RankGroup();

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }
  const DistributedOptions& options() const { return options_; }

  // Sums in place over the ranks.
  void all_reduce_sum(std::vector<at::Tensor>& tensors);
  // Starts a sum in place; finish() waits for it. The tensor must not change meanwhile.
  class Pending {
   public:
    void finish();
    struct Work;
    std::shared_ptr<Work> work;
    RankGroup* group = nullptr;
  };
  Pending start_all_reduce_sum(at::Tensor tensor);
  // Rank 0's values, in place on every rank.
  void broadcast(std::vector<at::Tensor>& tensors);
  // Every rank's string, in rank order.
  std::vector<std::string> all_gather(const std::string& mine);

  // Throws the DistributedError for a collective that failed with `what`.
  [[noreturn]] void fail(const std::string& what);

 private:
  struct Impl;
  RankGroup(int64_t rank, int64_t size, DistributedOptions options, std::unique_ptr<Impl> impl);

  int64_t rank_, size_;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

// The group this process trains in; null when it runs alone.
RankGroup* current_group();
void set_current_group(RankGroup* group);

// This process's part of the data: of every global batch of batch_size x ranks samples in
// the epoch's seeded order, the rank-th slice of batch_size; of validation batches, every
// ranks-th from rank.
struct DataShard {
  int64_t rank = 0, ranks = 1;

  int64_t train_batches(int64_t samples, int64_t batch_size) const {
    return samples / (batch_size * ranks);
  }
  // Position in the epoch's order of sample i of this rank's batch `batch`.
  int64_t position(int64_t batch, int64_t i, int64_t batch_size) const {
    return (batch * ranks + rank) * batch_size + i;
  }
  std::vector<int64_t> val_batches(int64_t count) const {
    std::vector<int64_t> mine;
    for (int64_t b = rank; b < count; b += ranks) mine.push_back(b);
    return mine;
  }
};

DataShard current_shard();

// A loss that is a mean over `count` items on this rank (tokens, labelled pixels) is scaled by
// this, so that the ranks' mean gradient is that of the mean over every rank's items, as one
// process would take it; 1 for a single process.
double mean_share(double count);

}  // namespace vedkit
