// Times segmentation inference as vedkit-segment runs it (batch-norm folded, channels-last,
// InferenceMode, argmax): `bench-segment --batch 8 --size 256`; or training steps as vedkit-train
// runs them (forward and cross-entropy under train.precision, backward, AdamW):
// `bench-segment --mode train --batch 16 --size 128`. Prints "images_per_s latency_ms" on one
// line; bench/run_segment.py runs it beside the peer.
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
      ("mode", po::value<std::string>()->default_value("infer"), "infer | train")
      ("batch", po::value<int64_t>()->default_value(1), "images per pass")
      ("size", po::value<int64_t>()->default_value(256), "input height and width")
      ("seconds", po::value<double>()->default_value(5.0), "time spent measuring")
      ("dtype", po::value<std::string>()->default_value("float32"),
       "float32 | bfloat16 | int8 (calibrated on 4 random images like the timed ones)")
      ("model", po::value<std::string>()->default_value(""),
       "infer with this model file (say the bundled segmenter) instead of the peer's U-Net")
      ("engine", po::value<std::string>()->default_value("onednn"),
       "onednn: float32 conv networks as one oneDNN graph where it can | eager: op by op")
      ("help", "show this help");
  return vedkit::run_app("bench-segment", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_all_cores();
    vedkit::bench::choose_engine(args["engine"].as<std::string>());
    // The reference model: ResNet-18 encoder, U-Net decoder 256-128-64-32-16.
    auto config = vedkit::Config::from_text(
        "encoder: {type: resnet, depth: 18}\n"
        "decoder: {channels: [256, 128, 64, 32, 16], num_classes: 11}\n", "bench");
    const auto model_file = args["model"].as<std::string>();
    auto model = model_file.empty() ? vedkit::build_segmentation_model(config.root())
                                    : vedkit::load_segmentation_model(model_file).model;
    const auto dtype = args["dtype"].as<std::string>();
    const int64_t batch = args["batch"].as<int64_t>(), size = args["size"].as<int64_t>();
    const double seconds = args["seconds"].as<double>();
    if (args["mode"].as<std::string>() == "train") {
      if (!model_file.empty()) throw vedkit::Error("--model: times inference only (--mode infer)");
      const auto images = torch::rand({batch, 3, size, size});
      const auto masks = torch::randint(model->num_classes(), {batch, size, size});
      torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
      vedkit::bench::time_passes([&] {
        optimizer.zero_grad();
        at::Tensor loss;
        {
          vedkit::MixedPrecisionScope mixed_precision(dtype);
          loss = torch::cross_entropy_loss(model->forward(images), masks);
        }
        loss.backward();
        optimizer.step();
      }, batch, seconds);
      return 0;
    }
    model->prepare_for_inference();
    if (dtype == "int8") {
      std::vector<torch::Tensor> calibration;
      for (int i = 0; i < 4; ++i) calibration.push_back(torch::rand({1, model->in_channels(), size, size}));
      model->use_int8(model->calibrate_int8(calibration));
    } else {
      vedkit::set_precision(*model, dtype);
    }
    const auto images = torch::rand({batch, model->in_channels(), size, size})
                            .to(model->parameters().front().scalar_type());
    torch::InferenceMode inference;
    vedkit::bench::time_passes([&] { model->forward(images).argmax(1); }, batch, seconds);
    vedkit::bench::report_engine();
    return 0;
  });
}
