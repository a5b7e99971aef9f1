// vedkit-train --config FILE [--set key=value]... [--resume FILE] [--print-config] [--nproc N]
#include <thread>

#include "apps/cli.h"
#include "apps/local_ranks.h"
#include "apps/train_autoencoder.h"
#include "apps/train_captioning.h"
#include "apps/train_segmentation.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-train", [&] {
    vedkit::po::options_description options("vedkit-train: train a model from a YAML config");
    vedkit::add_config_options(options);
    options.add_options()
        ("resume", vedkit::po::value<std::string>(), "continue from a model file (last.vdk)")
        ("nproc", vedkit::po::value<int64_t>(),
         "train on N processes of this machine, data-parallel (as torchrun --nproc_per_node N)")
        ("help", "show this help");
    vedkit::po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;

    auto config = vedkit::load_config_from_args(args);
    const auto distributed =
        vedkit::read_distributed_options(config.section("train").section("distributed"));
    if (args.count("nproc") && args["nproc"].as<int64_t>() != 1) {
      const auto count = args["nproc"].as<int64_t>();
      const int64_t most = 4 * std::max<int64_t>(1, std::thread::hardware_concurrency());
      if (count < 1 || count > most) {
        throw vedkit::ConfigError("--nproc " + std::to_string(count) + ": give 1 to " +
                                  std::to_string(most) + " ranks");
      }
      std::vector<std::string> arguments;
      for (int i = 0; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--nproc") {
          ++i;
        } else if (argument.rfind("--nproc=", 0) != 0) {
          arguments.push_back(argument);
        }
      }
      return vedkit::run_local_ranks(count, arguments, distributed.timeout_s);
    }

    vedkit::TrainArgs train_args;
    if (args.count("resume")) train_args.resume = args["resume"].as<std::string>();
    train_args.print_config = args.count("print-config") > 0;
    train_args.quiet = args.count("quiet") > 0;
    std::unique_ptr<vedkit::RankGroup> group;
    if (!train_args.print_config) {
      group = vedkit::join_launched_run(distributed);
      if (group && group->rank() != 0) train_args.quiet = true;  // rank 0 speaks for the run
    }
    const auto task = config.root().get_string("task", std::nullopt, {"segmentation", "autoencoder", "captioning"});
    if (task == "autoencoder") return vedkit::train_autoencoder(config, train_args);
    if (task == "captioning") return vedkit::train_captioning(config, train_args);
    return vedkit::train_segmentation(config, train_args);
  });
}
