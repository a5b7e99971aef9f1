// vedkit-caption --model FILE (--camera N | --video FILE [--skip K] | IMAGES...) [--headless]
//                [--out FILE.avi|.mp4] [--frames DIR] [--attention DIR] [--json]
// Captions a live camera or a video (the latest caption drawn on every frame, each new one
// printed with its time) or image files (`path<TAB>caption` per image).
#include <iostream>

#include "apps/caption_image_files.h"
#include "apps/cli.h"
#include "apps/live_captioner.h"
#include "apps/live_options.h"
#include "core/interrupt.h"
#include "core/runtime.h"
#include "datasets/image_files.h"

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-caption", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-caption: caption a camera, a video or images");
    options.add_options()
        ("model", po::value<std::string>()->required(), "captioning model file (.vdk)")
        ("input", po::value<std::vector<std::string>>(), "images, folders or globs")
        ("size", po::value<std::vector<int64_t>>()->multitoken(),
         "H W: the model's input size (default: its training data.size, else 128 128)")
        ("attention", po::value<std::string>(), "write each word's attention map as PNGs to DIR")
        ("attention-limit", po::value<int64_t>()->default_value(20),
         "camera/video: attention maps for this many captions at most")
        ("threads", po::value<int64_t>()->default_value(0),
         "camera/video: inference threads (0: every core but one)")
        ("precision", po::value<std::string>()->default_value("float32"),
         "float32 | bfloat16 | auto | bfloat16_any_cpu (see README)")
        ("json", "print JSON lines instead of text")
        ("help", "show this help");
    vedkit::add_live_options(options, "out");
    po::positional_options_description positional;
    positional.add("input", -1);
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args, &positional)) return 0;
    if (args.count("camera") + args.count("video") + args.count("input") != 1) {
      throw po::error("give one of --camera N, --video FILE or images");
    }
    std::vector<int64_t> size;
    if (args.count("size")) {
      size = args["size"].as<std::vector<int64_t>>();
      if (size.size() != 2) throw po::error("--size takes a height and a width");
    }
    const auto attention_dir = args.count("attention") ? args["attention"].as<std::string>() : "";

    vedkit::use_all_cores();
    vedkit::FrameCaptioner captioner(vedkit::load_caption_model(args["model"].as<std::string>(),
                                                               args["precision"].as<std::string>()),
                                     size, !attention_dir.empty());
    if (args.count("input")) {
      const auto files = vedkit::expand_image_inputs(args["input"].as<std::vector<std::string>>());
      const int failed = vedkit::caption_image_files(
          captioner, files, {args.count("json") > 0, attention_dir}, std::cout, std::cerr);
      std::cerr << "vedkit-caption: " << files.size() - failed << " of " << files.size()
                << " images captioned\n";
      return failed > 0 ? 1 : 0;
    }

    auto source = vedkit::open_frame_source(args);
    const auto live = vedkit::live_options_from(args, "out", args["threads"].as<int64_t>());
    vedkit::LiveCaptioner live_captioner(
        captioner, {args.count("json") > 0, attention_dir, args["attention-limit"].as<int64_t>()},
        std::cout);
    vedkit::install_interrupt_handler();
    const auto report = vedkit::run_live(*source, live_captioner, live);
    std::cerr << "vedkit-caption: " << vedkit::format_report(report, "captions") << "\n";
    return 0;
  });
}
