// vedkit-export --model FILE... --out FILE: a copy of a model file for shipping, without the
// optimizer and RNG state that only --resume needs. Several files give the mean of their weights;
// --half stores them as float16.
// vedkit-export --model FILE --int8 --calibrate DIR --out FILE: a segmentation model (or an
// autoencoder's or a captioner's encoder) that runs its convolutions in int8, calibrated on the images in DIR.
// vedkit-export --config FILE --state-dict FILE --out FILE: a model file from a state dict with
// vedkit's names (scripts/import_torchvision.py writes one).
#include <filesystem>
#include <iostream>

#include "apps/cli.h"
#include "apps/int8_export.h"
#include "core/model_file.h"
#include "vision/segmentation/import_segmentation_model.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-export", [&] {
    namespace po = vedkit::po;
    po::options_description options(
        "vedkit-export: strip training state from a model file, or write one from a state dict");
    options.add_options()
        ("model", po::value<std::vector<std::string>>()->multitoken(),
         "model file written by vedkit-train; several snapshots of one run are averaged, and the "
         "first gives the config and record")
        ("out", po::value<std::string>()->required(), "where to write the copy")
        ("half", "store float32 weights as float16: about half the file; apps load them as float32")
        ("int8", "a segmentation model, or an autoencoder's or captioner's encoder, whose convolutions run in int8 (needs --calibrate)")
        ("calibrate", po::value<std::string>(), "with --int8: a folder of images like those the model will "
         "see (its training images), to measure each layer's range on")
        ("calibrate-images", po::value<int64_t>()->default_value(64)->notifier([](int64_t n) {
           if (n < 1) throw vedkit::po::error("--calibrate-images: expected at least 1");
         }), "with --int8: how many of them (the first by name)")
        ("state-dict", po::value<std::string>(),
         "instead of --model: a state dict to fill the segmentation model --config describes")
        ("config", po::value<std::string>(), "with --state-dict: the model's YAML file")
        ("set", po::value<std::vector<std::string>>()->composing(),
         "with --config: override a value, --set model.decoder.num_classes=3 (repeatable)")
        ("help", "show this help");
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    const auto out = args["out"].as<std::string>();
    if (args.count("state-dict")) {
      if (args.count("model") || !args.count("config")) {
        throw po::error("--state-dict goes with --config (the model it fills), not --model");
      }
      auto config = vedkit::load_config_from_args(args);
      const auto copied =
          vedkit::import_segmentation_model(config, args["state-dict"].as<std::string>(), out);
      std::cout << out << ": " << copied << " tensors, " << std::filesystem::file_size(out) / 1024
                << " KiB\n";
      return 0;
    }
    if (!args.count("model")) throw po::error("give --model FILE (or --config and --state-dict)");
    const auto inputs = args["model"].as<std::vector<std::string>>();
    std::vector<vedkit::ModelFile> others;
    for (size_t i = 1; i < inputs.size(); ++i) others.push_back(vedkit::ModelFile::open(inputs[i]));
    const auto stored =
        args.count("half") ? vedkit::StoredWeights::Float16 : vedkit::StoredWeights::AsTrained;
    if (args.count("int8") != args.count("calibrate")) {
      throw po::error("--int8 and --calibrate DIR go together: int8 ranges are measured on images");
    }
    if (args.count("int8")) {
      if (inputs.size() > 1) throw po::error("--int8 takes one --model, not an average of several");
      export_int8_model(inputs[0], args["calibrate"].as<std::string>(),
                                     args["calibrate-images"].as<int64_t>(), out, stored);
      return 0;
    }
    vedkit::ModelFile::open(inputs[0]).write_inference_copy(out, others, stored);
    std::cout << out << ": " << std::filesystem::file_size(out) / 1024 << " KiB";
    if (others.empty()) {
      std::cout << " (from " << std::filesystem::file_size(inputs[0]) / 1024 << " KiB)\n";
    } else {
      std::cout << ", the mean of " << inputs.size() << " models' weights\n";
    }
    return 0;
  });
}
