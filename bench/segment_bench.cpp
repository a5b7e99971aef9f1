// Times segmentation inference as vedkit-segment runs it (batch-norm folded, channels-last,
// InferenceMode, argmax): `bench-segment --batch 8 --size 256`. Prints
// "images_per_s latency_ms" on one line; bench/run_segment.py runs it beside the peer.
#include <torch/torch.h>

#include <iostream>

#include "apps/cli.h"
#include "bench/timing.h"
#include "core/config.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "vision/segmentation/segmentation_model.h"

namespace po = vedkit::po;

int main(int argc, char** argv) {
  po::options_description options("bench-segment");
  options.add_options()
      ("batch", po::value<int64_t>()->default_value(1), "images per forward pass")
      ("size", po::value<int64_t>()->default_value(256), "input height and width")
      ("seconds", po::value<double>()->default_value(5.0), "time spent measuring")
      ("dtype", po::value<std::string>()->default_value("float32"), "float32 | bfloat16")
      ("help", "show this help");
  return vedkit::run_app("bench-segment", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_all_cores();
    // The reference model: ResNet-18 encoder, U-Net decoder 256-128-64-32-16.
    auto config = vedkit::Config::from_text(
        "encoder: {type: resnet, depth: 18}\n"
        "decoder: {channels: [256, 128, 64, 32, 16], num_classes: 11}\n", "bench");
    auto model = vedkit::build_segmentation_model(config.root());
    model->prepare_for_inference();
    vedkit::set_precision(*model, args["dtype"].as<std::string>());
    const int64_t size = args["size"].as<int64_t>();
    const auto images = torch::rand({args["batch"].as<int64_t>(), 3, size, size})
                            .to(model->parameters().front().scalar_type());

    torch::InferenceMode inference;
    vedkit::bench::time_passes([&] { model->forward(images).argmax(1); }, images.size(0),
                               args["seconds"].as<double>());
    return 0;
  });
}
