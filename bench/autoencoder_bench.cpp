// Times the autoencoder of configs/autoencoder_fashion_mnist.yaml on 28x28 images: inference
// as vedkit-reconstruct runs it (folded, InferenceMode), or training steps as vedkit-train
// runs them (forward, MSE, backward, AdamW). `bench-autoencoder --mode train --batch 128`.
// Prints "images_per_s latency_ms"; bench/run_autoencoder.py runs it beside the peer.
#include <torch/torch.h>

#include "apps/cli.h"
#include "bench/timing.h"
#include "core/config.h"
#include "core/runtime.h"
#include "vision/autoencoder/autoencoder_model.h"

namespace po = vedkit::po;

int main(int argc, char** argv) {
  po::options_description options("bench-autoencoder");
  options.add_options()
      ("config", po::value<std::string>()->default_value("configs/autoencoder_fashion_mnist.yaml"), "model config")
      ("mode", po::value<std::string>()->default_value("infer"), "infer | train")
      ("batch", po::value<int64_t>()->default_value(1), "images per pass")
      ("seconds", po::value<double>()->default_value(5.0), "time spent measuring")
      ("dtype", po::value<std::string>()->default_value("float32"),
       "inference: float32 | int8 (the encoder, calibrated on 4 random images like the timed ones)")
      ("help", "show this help");
  return vedkit::run_app("bench-autoencoder", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_all_cores();
    auto config = vedkit::Config::load(args["config"].as<std::string>());
    auto model = vedkit::build_autoencoder_model(config.section("model"));
    const auto& size = model->input_size();
    const auto images = torch::rand({args["batch"].as<int64_t>(), model->in_channels(), size.at(0), size.at(1)});
    const double seconds = args["seconds"].as<double>();
    if (args["mode"].as<std::string>() == "train") {
      model->train();
      torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
      vedkit::bench::time_passes([&] {
        optimizer.zero_grad();
        torch::mse_loss(model->forward(images).reconstruction, images).backward();
        optimizer.step();
      }, images.size(0), seconds);
      return 0;
    }
    model->prepare_for_inference();
    if (args["dtype"].as<std::string>() == "int8") {
      model->use_int8(model->calibrate_int8({torch::rand({4, model->in_channels(), size.at(0), size.at(1)})}));
    } else if (args["dtype"].as<std::string>() != "float32") {
      throw vedkit::Error("--dtype: expected float32 or int8");
    }
    torch::InferenceMode inference;
    vedkit::bench::time_passes([&] { model->forward(images); }, images.size(0), seconds);
    return 0;
  });
}
