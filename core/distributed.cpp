#include "core/distributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace vedkit {
namespace {

int64_t environment_int(const Environment& environment, const char* name, int64_t low,
                        int64_t high) {
  const char* text = environment(name);
  if (text == nullptr || *text == '\0') {
    throw ConfigError(std::string("environment: ") + name + " is not set; the launcher sets it "
                      "(torchrun, srun) or vedkit-train --nproc N starts the ranks itself");
  }
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < low || value > high) {
    throw ConfigError(std::string("environment: ") + name + "=" + text + " is not a whole number in [" +
                      std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return value;
}

std::string environment_string(const Environment& environment, const char* name,
                               const std::string& fallback) {
  const char* text = environment(name);
  return text != nullptr && *text != '\0' ? text : fallback;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

RankGroup* the_current_group = nullptr;

// An exception's first line, without c10's backtrace.
std::string first_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string what = c10_error != nullptr ? c10_error->what_without_backtrace() : e.what();
  std::string line = what.substr(0, what.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  const auto bracket = nodelist.find('[');
  const auto comma = nodelist.find(',');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket)) {
    return nodelist.substr(0, comma);
  }
  // prefix[03-05,9]...: the prefix and the first number of the first range, zeros kept.
  const auto end = nodelist.find_first_of("-,]", bracket + 1);
  if (end == std::string::npos) {
    throw ConfigError("environment: SLURM_JOB_NODELIST=" + nodelist + " is not a SLURM node list");
  }
  return nodelist.substr(0, bracket) + nodelist.substr(bracket + 1, end - bracket - 1);
}

LaunchInfo launch_from_environment(const Environment& environment) {
  LaunchInfo launch;
  constexpr int64_t kMaxRanks = 1 << 20;
  if (environment("RANK") != nullptr) {
    launch.launcher = "torchrun";
    launch.world_size = environment_int(environment, "WORLD_SIZE", 1, kMaxRanks);
    launch.rank = environment_int(environment, "RANK", 0, launch.world_size - 1);
    launch.local_rank = environment("LOCAL_RANK") ? environment_int(environment, "LOCAL_RANK", 0, kMaxRanks) : 0;
    launch.local_world_size = environment("LOCAL_WORLD_SIZE")
                                  ? environment_int(environment, "LOCAL_WORLD_SIZE", 1, kMaxRanks)
                                  : 1;
    launch.master_addr = environment_string(environment, "MASTER_ADDR", launch.master_addr);
  } else if (environment("SLURM_PROCID") != nullptr && environment("SLURM_NTASKS") != nullptr) {
    launch.launcher = "slurm";
    launch.world_size = environment_int(environment, "SLURM_NTASKS", 1, kMaxRanks);
    launch.rank = environment_int(environment, "SLURM_PROCID", 0, launch.world_size - 1);
    launch.local_rank = environment("SLURM_LOCALID") ? environment_int(environment, "SLURM_LOCALID", 0, kMaxRanks) : 0;
    // "4(x2),2" lists tasks per node; the leading count is this kind of node's.
    const std::string per_node = environment_string(environment, "SLURM_NTASKS_PER_NODE", "");
    if (!per_node.empty()) {
      launch.local_world_size = std::max<int64_t>(1, std::atoll(per_node.c_str()));
    }
    launch.master_addr = environment_string(environment, "MASTER_ADDR", "");
    if (launch.master_addr.empty()) {
      launch.master_addr = first_slurm_host(environment_string(environment, "SLURM_JOB_NODELIST", "127.0.0.1"));
    }
  } else {
    return launch;
  }
  if (environment("MASTER_PORT") != nullptr) {
    launch.master_port = environment_int(environment, "MASTER_PORT", 1, 65535);
  }
  return launch;
}

LaunchInfo launch_from_environment() {
  return launch_from_environment([](const char* name) { return std::getenv(name); });
}

DistributedOptions read_distributed_options(ConfigSection section) {
  DistributedOptions options;
  options.backend = section.get_string("backend", options.backend, {"auto", "gloo", "nccl"});
  options.timeout_s = section.get_real("timeout", options.timeout_s, {1.0, 1e6});
  options.bucket_mb = section.get_real("bucket_mb", options.bucket_mb, {0.001, 1e4});
  options.sync_batchnorm = section.get_bool("sync_batchnorm", options.sync_batchnorm);
  return options;
}

struct RankGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif

  // Calls body with the process group, whichever backend it is.
  template <typename Body>
  auto with_group(Body body) {
#ifdef USE_C10D_NCCL
    if (nccl) return body(*nccl);
#endif
    return body(*gloo);
  }
};

struct RankGroup::Pending::Work {
  c10::intrusive_ptr<c10d::Work> work;
};

RankGroup::RankGroup(int64_t rank, int64_t size, DistributedOptions options,
                     std::unique_ptr<Impl> impl)
    : rank_(rank), size_(size), options_(std::move(options)), impl_(std::move(impl)) {}

RankGroup::~RankGroup() {
  if (current_group() == this) set_current_group(nullptr);
}

std::unique_ptr<RankGroup> RankGroup::join(const LaunchInfo& launch, const DistributedOptions& options,
                                           c10::DeviceType device) {
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000));
  const std::string where = launch.master_addr + ":" + std::to_string(launch.master_port);
  auto no_rendezvous = [&](const std::exception& e, const std::string& hint) {
    return DistributedError("rank " + std::to_string(launch.rank) + " of " +
                            std::to_string(launch.world_size) + ": no rendezvous at " + where +
                            " within " + std::to_string(static_cast<int64_t>(options.timeout_s)) +
                            " s (" + first_line(e) + "); " + hint);
  };
  auto impl = std::make_unique<Impl>();
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(launch.master_port);
    store_options.isServer = launch.rank == 0;
    store_options.numWorkers = static_cast<size_t>(launch.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, store_options);
  } catch (const std::exception& e) {
    throw no_rendezvous(e, "check MASTER_ADDR, MASTER_PORT and that every rank started");
  }
  std::string backend = options.backend;
  if (backend == "auto") backend = device == c10::kCUDA ? "nccl" : "gloo";
  if (backend == "nccl") {
#ifdef USE_C10D_NCCL
    auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
    nccl_options->timeout = timeout;
    impl->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
        impl->store, static_cast<int>(launch.rank), static_cast<int>(launch.world_size), nccl_options);
#else
    throw ConfigError("train.distributed.backend: this LibTorch was built without NCCL (a CPU "
                      "build); use gloo");
#endif
  } else {
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    if (interface != nullptr && *interface != '\0') {
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    } else if (is_loopback(launch.master_addr)) {
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    gloo_options->threads = 2;
    try {
      impl->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
          impl->store, static_cast<int>(launch.rank), static_cast<int>(launch.world_size), gloo_options);
    } catch (const std::exception& e) {
      throw no_rendezvous(e, "check that every rank started, and set GLOO_SOCKET_IFNAME to the "
                             "network interface the ranks share");
    }
  }
  return std::unique_ptr<RankGroup>(
      new RankGroup(launch.rank, launch.world_size, options, std::move(impl)));
}

void RankGroup::fail(const std::string& what) {
  // Every rank still alive marks itself in the store, waits for the others to do the same,
  // and names the ranks that did not. Without the store, rank 0 (its server) is gone.
  std::vector<int64_t> lost;
  try {
    impl_->store->set("alive/" + std::to_string(rank_), std::vector<uint8_t>{1});
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (int64_t r = 0; r < size_; ++r) {
      if (!impl_->store->check({"alive/" + std::to_string(r)})) lost.push_back(r);
    }
  } catch (const std::exception&) {
    lost = {0};
  }
  std::string ranks;
  for (const int64_t r : lost) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  throw DistributedError("rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": " +
                         (lost.empty() ? std::string("a collective failed")
                                       : "lost rank " + ranks + " (it died or stopped answering)") +
                         "; stopping (" + what + ")");
}

// Gloo takes several tensors in one call only as copies of one tensor on several devices, so
// each goes in a call of its own.
void RankGroup::all_reduce_sum(std::vector<at::Tensor>& tensors) {
  try {
    for (auto& tensor : tensors) {
      std::vector<at::Tensor> one{tensor};
      impl_->with_group([&](auto& group) { group.allreduce(one)->wait(); });
    }
  } catch (const std::exception& e) {
    fail(first_line(e));
  }
}

RankGroup::Pending RankGroup::start_all_reduce_sum(at::Tensor tensor) {
  Pending pending;
  pending.group = this;
  pending.work = std::make_shared<Pending::Work>();
  try {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    pending.work->work = impl_->with_group([&](auto& group) { return group.allreduce(tensors); });
  } catch (const std::exception& e) {
    fail(first_line(e));
  }
  return pending;
}

void RankGroup::Pending::finish() {
  if (!work || !work->work) return;
  try {
    work->work->wait();
  } catch (const std::exception& e) {
    group->fail(first_line(e));
  }
  work->work.reset();
}

void RankGroup::broadcast(std::vector<at::Tensor>& tensors) {
  try {
    for (auto& tensor : tensors) {
      std::vector<at::Tensor> one{tensor};
      impl_->with_group([&](auto& group) { group.broadcast(one)->wait(); });
    }
  } catch (const std::exception& e) {
    fail(first_line(e));
  }
}

std::vector<std::string> RankGroup::all_gather(const std::string& mine) {
  // Lengths first, then every string padded to the longest.
  std::vector<at::Tensor> length{at::full({1}, static_cast<int64_t>(mine.size()), at::kLong)};
  std::vector<std::vector<at::Tensor>> lengths(1);
  for (int64_t r = 0; r < size_; ++r) lengths[0].push_back(at::empty({1}, at::kLong));
  std::vector<std::vector<at::Tensor>> pieces(1);
  try {
    impl_->with_group([&](auto& group) { group.allgather(lengths, length)->wait(); });
    int64_t longest = 0;
    for (const auto& l : lengths[0]) longest = std::max(longest, l.item<int64_t>());
    std::vector<at::Tensor> padded{at::zeros({std::max<int64_t>(1, longest)}, at::kByte)};
    std::copy(mine.begin(), mine.end(), padded[0].data_ptr<uint8_t>());
    for (int64_t r = 0; r < size_; ++r) pieces[0].push_back(at::empty_like(padded[0]));
    impl_->with_group([&](auto& group) { group.allgather(pieces, padded)->wait(); });
  } catch (const std::exception& e) {
    fail(first_line(e));
  }
  std::vector<std::string> all;
  for (int64_t r = 0; r < size_; ++r) {
    const auto* bytes = pieces[0][r].data_ptr<uint8_t>();
    all.emplace_back(bytes, bytes + lengths[0][r].item<int64_t>());
  }
  return all;
}

RankGroup* current_group() { return the_current_group; }

void set_current_group(RankGroup* group) { the_current_group = group; }

double mean_share(double count) {
  RankGroup* group = current_group();
  if (group == nullptr) return 1.0;
  std::vector<at::Tensor> total{at::tensor({count}, at::kDouble)};
  group->all_reduce_sum(total);
  const double all = total[0].item<double>();
  return all > 0 ? count * static_cast<double>(group->size()) / all : 1.0;
}

DataShard current_shard() {
  const RankGroup* group = current_group();
  return group == nullptr ? DataShard{} : DataShard{group->rank(), group->size()};
}

}  // namespace vedkit
