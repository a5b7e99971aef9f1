// vedkit-export --model FILE --out FILE: a copy of a model file for shipping, without the
// optimizer and RNG state that only --resume needs.
#include <filesystem>
#include <iostream>

#include "apps/cli.h"
#include "core/model_file.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-export", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-export: strip training state from a model file");
    options.add_options()
        ("model", po::value<std::string>()->required(), "model file written by vedkit-train")
        ("out", po::value<std::string>()->required(), "where to write the copy")
        ("help", "show this help");
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    const auto in = args["model"].as<std::string>();
    const auto out = args["out"].as<std::string>();
    vedkit::ModelFile::open(in).write_inference_copy(out);
    std::cout << out << ": " << std::filesystem::file_size(out) / 1024 << " KiB (from "
              << std::filesystem::file_size(in) / 1024 << " KiB)\n";
    return 0;
  });
}
