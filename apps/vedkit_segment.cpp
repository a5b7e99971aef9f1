// vedkit-segment --model FILE [--out DIR] INPUT...: a class-index mask, a colour overlay and
// a JSON line per image. Bad files are reported and skipped; the exit code is 1 if any failed.
// vedkit-segment --model FILE --camera N | --video FILE: the overlay drawn live on every frame.
#include <filesystem>
#include <iostream>
#include <thread>

#include "apps/cli.h"
#include "apps/live_options.h"
#include "apps/live_segmenter.h"
#include "apps/predict_options.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/runtime.h"
#include "datasets/image_files.h"
#include "vision/io/segment_image.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-segment", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-segment: segment images with a trained model");
    options.add_options()
        ("model", po::value<std::string>()->required(), "model file (.vdk)")
        ("out", po::value<std::string>()->default_value("segment_out"), "output folder")
        ("precision", po::value<std::string>()->default_value("float32"),
         "float32 | bfloat16 | auto | bfloat16_any_cpu (see README)")
        ("input", po::value<std::vector<std::string>>(), "images, folders or globs");
    vedkit::add_predict_options(options);
    vedkit::add_live_options(options, "video-out");
    vedkit::add_threads_option(options);
    options.add_options()("help", "show this help");
    po::positional_options_description positional;
    positional.add("input", -1);
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args, &positional)) return 0;

    const bool live = vedkit::live_source_given(args);
    if (args.count("camera") + args.count("video") + args.count("input") != 1) {
      throw po::error("give one of --camera N, --video FILE or images");
    }
    vedkit::use_threads_from(args);
    vedkit::SegmentImageOptions segment_options;
    segment_options.predict = vedkit::predict_options_from(args);  // bad values fail before loading
    auto model = vedkit::load_segmentation_model(args["model"].as<std::string>(),
                                                 args["precision"].as<std::string>());
    if (live) {
      auto source = vedkit::open_frame_source(args);
      // Every core: capture and display mostly wait, and at 640x480 on 2 cores a second
      // inference thread gives 11% more masks a second (bench/README.md).
      const int64_t threads = args["threads"].as<int64_t>();
      const auto live_options = vedkit::live_options_from(
          args, "video-out", threads > 0 ? threads : std::thread::hardware_concurrency());
      vedkit::LiveSegmenter analyzer(model, segment_options, std::cout);
      vedkit::install_interrupt_handler();
      const auto report = vedkit::run_live(*source, analyzer, live_options);
      std::cerr << "vedkit-segment: " << vedkit::format_report(report, "masks") << "\n";
      return 0;
    }
    const auto out_dir = args["out"].as<std::string>();
    std::filesystem::create_directories(out_dir);

    int failed = 0;
    const auto files = vedkit::expand_image_inputs(args["input"].as<std::vector<std::string>>());
    const auto names = vedkit::unique_stems(files);
    for (size_t i = 0; i < files.size(); ++i) {
      const auto& file = files[i];
      try {
        std::cout << vedkit::segment_image_file(model, file, out_dir, names[i], segment_options).json
                  << "\n";
      } catch (const vedkit::DataError& e) {
        std::cerr << "vedkit-segment: skipped " << e.what() << "\n";
        ++failed;
      }
    }
    std::cerr << "vedkit-segment: " << files.size() - failed << " of " << files.size()
              << " images segmented; masks and overlays in " << out_dir << "/\n";
    return failed > 0 ? 1 : 0;
  });
}
