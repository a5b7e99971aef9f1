// vedkit-train --config FILE [--set key=value]... [--resume FILE] [--print-config]
#include "apps/cli.h"
#include "apps/train_autoencoder.h"
#include "apps/train_captioning.h"
#include "apps/train_segmentation.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-train", [&] {
    vedkit::po::options_description options("vedkit-train: train a model from a YAML config");
    vedkit::add_config_options(options);
    options.add_options()
        ("resume", vedkit::po::value<std::string>(), "continue from a model file (last.vdk)")
        ("help", "show this help");
    vedkit::po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;

    auto config = vedkit::load_config_from_args(args);
    vedkit::TrainArgs train_args;
    if (args.count("resume")) train_args.resume = args["resume"].as<std::string>();
    train_args.print_config = args.count("print-config") > 0;
    train_args.quiet = args.count("quiet") > 0;
    const auto task = config.root().get_string("task", std::nullopt, {"segmentation", "autoencoder", "captioning"});
    if (task == "autoencoder") return vedkit::train_autoencoder(config, train_args);
    if (task == "captioning") return vedkit::train_captioning(config, train_args);
    return vedkit::train_segmentation(config, train_args);
  });
}
