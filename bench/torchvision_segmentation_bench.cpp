// Times inference of a torchvision segmentation model file (FCN, DeepLabV3, LR-ASPP; made by
// scripts/import_torchvision.py) as an app runs it: load_segmentation_model (batch-norm folded,
// channels-last, in --precision), InferenceMode, one forward pass [B, 3, S, S] in [0, 1] ->
// logits [B, 21, S, S] per timed pass; float32 as one oneDNN graph, or op by op with
// --engine eager (stderr says which ran).
//   bench-torchvision-segmentation --model lraspp.vdk --size 520 --batch 1 --seconds 5
// Prints "images_per_s latency_ms best_pass_ms" on one line; bench/run_torchvision_segmentation.py
// runs it beside bench/peers/torchvision_segmentation_peer.py.
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "apps/cli.h"
#include "bench/timing.h"
#include "core/error.h"
#include "core/runtime.h"
#include "vision/segmentation/segmentation_model.h"

namespace po = vedkit::po;

int main(int argc, char** argv) {
  po::options_description options("bench-torchvision-segmentation");
  // clang-format off
  options.add_options()
      ("model", po::value<std::string>()->required(), "model file (scripts/import_torchvision.py)")
      ("batch", po::value<int64_t>()->default_value(1), "images per pass")
      ("size", po::value<int64_t>()->default_value(520), "input height and width")
      ("seconds", po::value<double>()->default_value(5.0), "time spent measuring")
      ("precision", po::value<std::string>()->default_value("float32"), "float32 | bfloat16")
      ("warmup", po::value<int64_t>()->default_value(3), "untimed passes first")
      ("min-passes", po::value<int64_t>()->default_value(5), "timed passes at least")
      ("engine", po::value<std::string>()->default_value("onednn"),
       "onednn: float32 inference as one oneDNN graph where it can | eager: op by op")
      ("help", "show this help");
  // clang-format on
  return vedkit::run_app("bench-torchvision-segmentation", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    const int64_t warmup = args["warmup"].as<int64_t>(),
                  min_passes = args["min-passes"].as<int64_t>();
    if (warmup < 0 || min_passes < 1) {
      throw vedkit::Error("--warmup 0 or more and --min-passes 1 or more, got " +
                          std::to_string(warmup) + " and " + std::to_string(min_passes));
    }
    vedkit::use_all_cores();
    vedkit::bench::choose_engine(args["engine"].as<std::string>());
    auto model = vedkit::load_segmentation_model(args["model"].as<std::string>(),
                                                 args["precision"].as<std::string>())
                     .model;
    const int64_t batch = args["batch"].as<int64_t>(), size = args["size"].as<int64_t>();
    const auto images = torch::rand({batch, model->in_channels(), size, size})
                            .to(model->parameters().front().scalar_type());
    torch::InferenceMode inference;
    const auto t = vedkit::bench::measure_passes([&] { model->forward(images); }, args["seconds"].as<double>(),
                                  warmup, min_passes);
    std::cout << t.passes_per_s * batch << " " << t.mean_ms << " " << t.best_ms << "\n";
    vedkit::bench::report_engine();
    return 0;
  });
}
