#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/distributed.h"

namespace vedkit {

// Runs this program (arguments as given, without --nproc) as ranks 0..count-1 of one run on
// this machine, with torchrun's environment and a free port on 127.0.0.1. Ctrl-C and SIGTERM
// pass to every rank. When a rank fails the others get timeout_s to stop by themselves before
// they are killed. Returns the first failing rank's exit status, or 0.
int run_local_ranks(int64_t count, const std::vector<std::string>& arguments, double timeout_s);

// Joins the run this process's launcher describes (torchrun, SLURM, --nproc) and makes it the
// current group until the returned group goes; null for a single process.
std::unique_ptr<RankGroup> join_launched_run(const DistributedOptions& options);

}  // namespace vedkit
