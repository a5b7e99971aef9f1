// vedkit-eval --model FILE --data SCENES_ROOT [--split test] | --images DIR --masks DIR
// Prints per-class IoU, Dice and accuracy, then aAcc, mIoU, mDice, mAcc, and a JSON line.
#include <fstream>
#include <iostream>

#include "apps/cli.h"
#include "core/error.h"
#include "core/runtime.h"
#include "datasets/segmentation/evaluate_pairs.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-eval", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-eval: score a segmentation model on labelled images");
    options.add_options()
        ("model", po::value<std::string>()->required(), "model file (.vdk)")
        ("data", po::value<std::string>(), "a scenes set's folder (see vedkit-scenes)")
        ("split", po::value<std::string>()->default_value("test"), "the split of --data")
        ("images", po::value<std::string>(), "a folder of images (instead of --data)")
        ("masks", po::value<std::string>(), "their class-index masks, matched by name")
        ("binary-masks", "read 0/255 masks as classes 0/1")
        ("tile", po::value<int64_t>()->default_value(512), "tile side for large images (0 = off)")
        ("precision", po::value<std::string>()->default_value("float32"), "float32 | bfloat16")
        ("flip", "average with the horizontally flipped image")
        ("json", po::value<std::string>(), "also write the scores as JSON to this file")
        ("quiet", "no progress output")
        ("help", "show this help");
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    const bool folders = args.count("images") && args.count("masks");
    if (!folders && !args.count("data")) {
      throw po::error("give --data SCENES_ROOT, or --images DIR and --masks DIR");
    }

    vedkit::use_all_cores();
    auto model = vedkit::load_segmentation_model(args["model"].as<std::string>(),
                                                 args["precision"].as<std::string>());
    const auto pairs = folders ? vedkit::pairs_from_folders(args["images"].as<std::string>(),
                                                            args["masks"].as<std::string>())
                               : vedkit::pairs_from_split(args["data"].as<std::string>(),
                                                          args["split"].as<std::string>());
    vedkit::PredictOptions predict;
    predict.tile_size = args["tile"].as<int64_t>();
    predict.tile_stride = predict.tile_size * 2 / 3;
    predict.flip = args.count("flip") > 0;
    const auto result = vedkit::evaluate_pairs(model, pairs, predict, args.count("binary-masks") > 0,
                                               args.count("quiet") > 0);
    for (const auto& message : result.skipped) std::cerr << "vedkit-eval: skipped " << message << "\n";
    if (result.evaluated == 0) throw vedkit::DataError("no image/mask pair could be read");

    const auto scores = result.confusion.scores();
    const auto json = vedkit::format_scores_json(scores, model.class_names);
    std::cout << vedkit::format_scores_table(scores, model.class_names)
              << "(" << result.evaluated << " images; IoU over the whole set, absent classes left out of the means)\n"
              << json << "\n";
    if (args.count("json")) {
      std::ofstream(args["json"].as<std::string>()) << json << "\n";
    }
    return result.skipped.empty() ? 0 : 1;
  });
}
