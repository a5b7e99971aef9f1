#pragma once

#include "apps/cli.h"
#include "vision/segmentation/predict.h"

namespace vedkit {

// --tile, --flip and --scales: how vedkit-segment and vedkit-eval run a segmentation model.
void add_predict_options(po::options_description& options);
PredictOptions predict_options_from(const po::variables_map& args);

// "0.75,1,1.25" as factors in (0, 4]; anything else is a po::error naming the value.
std::vector<double> parse_scales(const std::string& text);

}  // namespace vedkit
