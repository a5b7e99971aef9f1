// vedkit-export --model FILE... --out FILE: a copy of a model file for shipping, without the
// optimizer and RNG state that only --resume needs. Several files give the mean of their weights;
// --half stores them as float16.
#include <filesystem>
#include <iostream>

#include "apps/cli.h"
#include "core/model_file.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-export", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-export: strip training state from a model file");
    options.add_options()
        ("model", po::value<std::vector<std::string>>()->multitoken()->required(),
         "model file written by vedkit-train; several snapshots of one run are averaged, and the "
         "first gives the config and record")
        ("out", po::value<std::string>()->required(), "where to write the copy")
        ("half", "store float32 weights as float16: about half the file; apps load them as float32")
        ("help", "show this help");
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    const auto inputs = args["model"].as<std::vector<std::string>>();
    const auto out = args["out"].as<std::string>();
    std::vector<vedkit::ModelFile> others;
    for (size_t i = 1; i < inputs.size(); ++i) others.push_back(vedkit::ModelFile::open(inputs[i]));
    const auto stored =
        args.count("half") ? vedkit::StoredWeights::Float16 : vedkit::StoredWeights::AsTrained;
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
