// vedkit-scenes: writes a captioned, segmented data set of Fashion-MNIST items composed onto
// varied backgrounds (see datasets/scenes/scene_set.h for the layout).
#include <boost/program_options.hpp>
#include <iostream>

#include "core/error.h"
#include "core/progress.h"
#include "datasets/fashion_mnist.h"
#include "datasets/scenes/scene_set.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  vedkit::SceneSetOptions options;
  std::string fashion_mnist_dir;
  po::options_description described(
      "Usage: vedkit-scenes --out DIR [options]\n"
      "Composes Fashion-MNIST items into scenes with class masks and captions.\nOptions");
  // clang-format off
  described.add_options()
      ("help,h", "show this help")
      ("out", po::value(&options.out_dir)->required(), "output folder")
      ("count", po::value(&options.count)->default_value(options.count), "number of scenes")
      ("size", po::value(&options.scene.size)->default_value(options.scene.size),
       "canvas side in pixels (64 or more)")
      ("seed", po::value(&options.seed)->default_value(options.seed), "random seed")
      ("max-items", po::value(&options.scene.max_items)->default_value(options.scene.max_items),
       "most items per scene (1 to 8)")
      ("val-fraction", po::value(&options.val_fraction)->default_value(0.1, "0.1"),
       "share of scenes in val.txt")
      ("test-fraction", po::value(&options.test_fraction)->default_value(0.1, "0.1"),
       "share of scenes in test.txt")
      ("fashion-mnist",
       po::value(&fashion_mnist_dir)->default_value(vedkit::kDefaultFashionMnistDir),
       "folder with the Fashion-MNIST IDX files")
      ("quiet,q", "print only errors");
  // clang-format on

  po::variables_map args;
  try {
    po::store(po::parse_command_line(argc, argv, described), args);
    if (args.count("help")) {
      std::cout << described << "\n";
      return 0;
    }
    po::notify(args);
    vedkit::check_scene_set_options(options);
  } catch (const std::exception& e) {
    std::cerr << "vedkit-scenes: " << e.what() << " (see --help)\n";
    return 2;
  }

  const bool quiet = args.count("quiet") > 0;
  try {
    const auto train_items = vedkit::load_fashion_mnist(fashion_mnist_dir, "train");
    const auto test_items = vedkit::load_fashion_mnist(fashion_mnist_dir, "test");
    vedkit::Progress progress("scenes", options.count, quiet);
    const auto counts =
        vedkit::write_scene_set(options, train_items, test_items, [&] { progress.advance(); });
    progress.finish();
    if (!quiet) {
      std::cout << "wrote " << options.count << " scenes (" << counts.train << " train, "
                << counts.val << " val, " << counts.test << " test) to " << options.out_dir << "\n";
    }
  } catch (const vedkit::Error& e) {
    std::cerr << "vedkit-scenes: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
