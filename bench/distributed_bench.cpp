// Data-parallel training steps of the bench's ResNet-18 U-Net (as `bench-segment --mode
// train`: cross-entropy, backward, AdamW) on N ranks of this machine, Gloo on 127.0.0.1, each
// rank with cores / N threads and its own batch:
//   bench-distributed --ranks 2 --batch 8 --size 128 --steps 10
// Rank 0 prints one line: step_ms backward_ms exposed_allreduce_ms full_allreduce_ms grad_mib
// buckets peak_mib (rank 0's resident peak). exposed: what finish_backward waited for the bucketed all-reduces after backward
// (the part backward did not hide); full: all gradients all-reduced at once, after backward.
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>

#include "apps/cli.h"
#include "apps/local_ranks.h"
#include "core/gradient_reducer.h"
#include "core/runtime.h"
#include "vision/segmentation/segmentation_model.h"

namespace po = boost::program_options;

namespace {

double peak_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024;  // KiB on Linux
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("bench-distributed: data-parallel U-Net training steps");
  options.add_options()
      ("ranks", po::value<int64_t>()->default_value(2), "ranks on this machine")
      ("batch", po::value<int64_t>()->default_value(8), "images per rank and step")
      ("size", po::value<int64_t>()->default_value(128), "image side")
      ("steps", po::value<int64_t>()->default_value(10), "timed steps, after 2 to warm up")
      ("bucket-mb", po::value<double>()->default_value(25), "gradient bucket size")
      ("threads", po::value<int64_t>()->default_value(0), "per rank; 0: cores / ranks")
      ("help", "show this help");
  return vedkit::run_app("bench-distributed", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    const int64_t ranks = args["ranks"].as<int64_t>();
    vedkit::DistributedOptions distributed;
    distributed.bucket_mb = args["bucket-mb"].as<double>();
    if (ranks > 1 && vedkit::launch_from_environment().world_size == 1) {
      return vedkit::run_local_ranks(ranks, std::vector<std::string>(argv, argv + argc), 60);
    }
    vedkit::use_threads(args["threads"].as<int64_t>());
    const auto group = vedkit::join_launched_run(distributed);
    const int64_t rank = group ? group->rank() : 0;
    torch::manual_seed(1);
    auto config = vedkit::Config::from_text(
        "encoder: {type: resnet, depth: 18}\n"
        "decoder: {channels: [256, 128, 64, 32, 16], num_classes: 11}\n", "bench");
    auto model = vedkit::build_segmentation_model(config.root());
    torch::manual_seed(100 + rank);
    const int64_t batch = args["batch"].as<int64_t>(), size = args["size"].as<int64_t>();
    const auto images = torch::rand({batch, 3, size, size});
    const auto masks = torch::randint(model->num_classes(), {batch, size, size});
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
    std::unique_ptr<vedkit::GradientReducer> reducer;
    if (group) reducer = std::make_unique<vedkit::GradientReducer>(model->parameters(), *group, distributed.bucket_mb);

    double step_s = 0, backward_s = 0, exposed_s = 0;
    const int64_t steps = args["steps"].as<int64_t>();
    for (int64_t step = -2; step < steps; ++step) {
      const auto began = std::chrono::steady_clock::now();
      const double exposed_before = reducer ? reducer->exposed_seconds() : 0;
      optimizer.zero_grad();
      const auto loss = torch::cross_entropy_loss(model->forward(images), masks);
      const auto backward_began = std::chrono::steady_clock::now();
      loss.backward();
      const double backward = seconds_since(backward_began);
      if (reducer) reducer->finish_backward();
      optimizer.step();
      if (step < 0) continue;
      step_s += seconds_since(began);
      backward_s += backward;
      exposed_s += reducer ? reducer->exposed_seconds() - exposed_before : 0;
    }
    // Every gradient at once, after backward: the communication the buckets hide part of.
    double full_s = 0, grad_bytes = 0;
    std::vector<at::Tensor> flat;
    for (const auto& p : model->parameters()) flat.push_back(p.grad().reshape({-1}));
    std::vector<at::Tensor> all{torch::cat(flat)};
    grad_bytes = static_cast<double>(all[0].numel() * 4);
    if (group) {
      for (int repeat = 0; repeat < 5; ++repeat) {
        const auto began = std::chrono::steady_clock::now();
        group->all_reduce_sum(all);
        full_s += seconds_since(began) / 5;
      }
    }
    if (rank == 0) {
      std::cout << 1000 * step_s / steps << " " << 1000 * backward_s / steps << " "
                << 1000 * exposed_s / steps << " " << 1000 * full_s << " "
                << grad_bytes / (1 << 20) << " " << (reducer ? reducer->buckets() : 0) << " "
                << peak_mib() << "\n";
    }
    return 0;
  });
}
