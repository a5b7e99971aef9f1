// Times one encoder's inference: `bench-encoders --encoder resnet18 --batch 8`.
// Prints "images_per_s latency_ms" on one line; bench/run_encoders.py runs the grid beside
// the PyTorch peer and writes the table.
#include <torch/torch.h>

#include <iostream>

#include "apps/cli.h"
#include "bench/timing.h"
#include "core/config.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "vision/encoders/encoder.h"

namespace po = vedkit::po;

namespace {

std::string encoder_yaml(const std::string& name) {
  if (name == "resnet18") return "type: resnet\ndepth: 18\n";
  if (name == "resnet18_stem2") return "type: resnet\ndepth: 18\nstem_stride: 2\n";
  if (name == "resnet34") return "type: resnet\ndepth: 34\n";
  if (name == "resnet50") return "type: resnet\ndepth: 50\n";
  if (name == "vit_tiny") return "type: vit\npreset: tiny\n";
  if (name == "vit_b_16") return "type: vit\npreset: base\n";
  throw std::invalid_argument("unknown --encoder " + name);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("bench-encoders");
  options.add_options()
      ("encoder", po::value<std::string>()->default_value("resnet18"),
       "resnet18 | resnet18_stem2 (no max-pool) | resnet34 | resnet50 | vit_tiny | vit_b_16")
      ("batch", po::value<int64_t>()->default_value(1), "images per forward pass")
      ("size", po::value<int64_t>()->default_value(224), "input height and width")
      ("seconds", po::value<double>()->default_value(5.0), "time spent measuring")
      ("dtype", po::value<std::string>()->default_value("float32"), "float32 | bfloat16")
      ("channels-last", po::value<bool>()->default_value(true), "NHWC activations (ResNet)")
      ("engine", po::value<std::string>()->default_value("onednn"),
       "onednn: float32 conv networks as one oneDNN graph where it can | eager: op by op")
      ("help", "show this help");
  return vedkit::run_app("bench-encoders", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_all_cores();
    vedkit::bench::choose_engine(args["engine"].as<std::string>());
    const auto name = args["encoder"].as<std::string>();
    auto config = vedkit::Config::from_text(encoder_yaml(name), "bench");
    auto encoder = vedkit::build_encoder(config.root());
    encoder->eval();
    encoder->fold_for_inference();
    vedkit::set_precision(*encoder, args["dtype"].as<std::string>());
    const bool vit = name.rfind("vit", 0) == 0;
    const bool channels_last = args["channels-last"].as<bool>() && !vit;
    const auto format = channels_last ? torch::MemoryFormat::ChannelsLast
                                      : torch::MemoryFormat::Contiguous;
    if (channels_last) {
      for (auto& parameter : encoder->parameters()) {
        if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(format));
      }
    }
    const int64_t size = args["size"].as<int64_t>();
    const auto images = torch::randn({args["batch"].as<int64_t>(), 3, size, size})
                            .to(encoder->parameters().front().scalar_type())
                            .contiguous(format);

    torch::InferenceMode inference;
    // The sequence a caption decoder reads: a ResNet's last level, a ViT's tokens.
    vedkit::bench::time_passes([&] { encoder->tokens(images); }, images.size(0),
                               args["seconds"].as<double>());
    vedkit::bench::report_engine();
    return 0;
  });
}
