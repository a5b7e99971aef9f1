#include "apps/predict_options.h"

#include <sstream>

namespace vedkit {

void add_predict_options(po::options_description& options) {
  options.add_options()
      ("tile", po::value<int64_t>(), "tile side for large images (0 = off; default: 512 for a "
                                     "U-Net, off for torchvision's heads)")
      ("flip", "average with the horizontally flipped image (test-time augmentation)")
      ("scales", po::value<std::string>()->default_value("1"),
       "average over the image resized by these factors, e.g. 0.75,1,1.25 "
       "(test-time augmentation)");
}

PredictOptions predict_options_from(const po::variables_map& args) {
  PredictOptions predict;
  if (args.count("tile")) {
    predict.tile_size = args["tile"].as<int64_t>();
    if (predict.tile_size < 0) throw po::error("--tile: expected 0 (off) or a side in pixels");
  }
  predict.flip = args.count("flip") > 0;
  predict.scales = parse_scales(args["scales"].as<std::string>());
  return predict;
}

std::vector<double> parse_scales(const std::string& text) {
  std::vector<double> scales;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    size_t used = 0;
    double scale = 0;
    try {
      scale = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(scale > 0 && scale <= 4)) {
      throw po::error("--scales: '" + item + "' is not a factor in (0, 4]; give e.g. 0.75,1,1.25");
    }
    scales.push_back(scale);
  }
  if (scales.empty()) throw po::error("--scales: no factors; give e.g. 0.75,1,1.25");
  return scales;
}

}  // namespace vedkit
