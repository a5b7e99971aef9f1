#include "apps/local_ranks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/cuda.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace vedkit {
namespace {

volatile std::sig_atomic_t forwarded_signal = 0;

void remember_signal(int signal) { forwarded_signal = signal; }

// A port that nothing listens on now, from the kernel.
int free_port() {
  const int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (probe < 0 || bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw Error("vedkit-train --nproc: no free port on 127.0.0.1 for the ranks to meet");
  }
  close(probe);
  return ntohs(address.sin_port);
}

pid_t start_rank(int64_t rank, int64_t count, int port, const std::vector<std::string>& arguments) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  setenv("RANK", std::to_string(rank).c_str(), 1);
  setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  setenv("WORLD_SIZE", std::to_string(count).c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", std::to_string(count).c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<std::string> copies = arguments;
  std::vector<char*> argv;
  for (auto& argument : copies) argv.push_back(argument.data());
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  std::perror("vedkit-train: starting a rank");
  _exit(127);
}

int exit_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_local_ranks(int64_t count, const std::vector<std::string>& arguments, double timeout_s) {
  const int port = free_port();
  std::signal(SIGINT, remember_signal);
  std::signal(SIGTERM, remember_signal);
  std::vector<pid_t> ranks;
  for (int64_t rank = 0; rank < count; ++rank) ranks.push_back(start_rank(rank, count, port, arguments));
  int64_t running = count;
  int failure = 0;
  std::chrono::steady_clock::time_point deadline;
  while (running > 0) {
    if (forwarded_signal != 0) {
      for (const pid_t pid : ranks) {
        if (pid > 0) kill(pid, forwarded_signal);
      }
      forwarded_signal = 0;
    }
    int status = 0;
    const pid_t done = waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (size_t rank = 0; rank < ranks.size(); ++rank) {
        if (ranks[rank] != done) continue;
        ranks[rank] = -1;
        --running;
        if (exit_status(status) != 0 && failure == 0) {
          failure = exit_status(status);
          std::cerr << "vedkit-train: rank " << rank << " of " << count << " "
                    << (WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                          : "was killed by signal " + std::to_string(WTERMSIG(status)))
                    << "\n";
          deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000) + 10000);
        }
      }
      continue;
    }
    if (failure != 0 && std::chrono::steady_clock::now() > deadline) {
      for (size_t rank = 0; rank < ranks.size(); ++rank) {
        if (ranks[rank] <= 0) continue;
        std::cerr << "vedkit-train: rank " << rank << " did not stop; killing it\n";
        kill(ranks[rank], SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return failure;
}

std::unique_ptr<RankGroup> join_launched_run(const DistributedOptions& options) {
  const LaunchInfo launch = launch_from_environment();
  if (launch.world_size == 1) return nullptr;
  auto group = RankGroup::join(launch, options, torch::cuda::is_available() ? c10::kCUDA : c10::kCPU);
  set_current_group(group.get());
  return group;
}

}  // namespace vedkit
