// Trains an autoencoder config on Fashion-MNIST where there is no OpenCV (the GPU machine of
// ../shared/NOTES.md): the model, task and trainer of `vedkit-train`, fed from the IDX files.
//   train-fashion-mnist CONFIG IDX_DIR [key=value]...
// Ctrl-C (SIGINT) ends training early as in vedkit-train. best_export.vdk is the best model
// without training state. The model files are the ones vedkit-train writes; their config says
// data.source: fashion_mnist, so vedkit-train --resume and vedkit-eval take them on any machine.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/model_file.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "datasets/fashion_mnist.h"
#include "vision/autoencoder/autoencoder_task.h"
#include "vision/autoencoder/tensor_image_data.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: train-fashion-mnist CONFIG IDX_DIR [key=value]...\n";
    return 2;
  }
  try {
    auto config = vedkit::Config::load(argv[1], std::vector<std::string>(argv + 3, argv + argc));
    const auto runtime = vedkit::read_runtime_options(config.section("runtime"));
    const auto device = vedkit::apply_runtime(runtime);
    auto model = vedkit::build_autoencoder_model(config.section("model"));
    const auto losses = vedkit::read_reconstruction_loss_terms(config.section("train"));
    auto options = vedkit::read_trainer_options(config.section("train"));
    options.preview = false;  // PNG writing needs OpenCV
    auto data_section = config.section("data");
    data_section.get_string("source", std::nullopt, {"fashion_mnist"});
    const double val_fraction = data_section.get_real("val_fraction", 0.1, {0.0, 0.9});
    const int64_t batch_size = data_section.get_int("batch_size", 64, {1, 65536});

    const auto images = vedkit::load_fashion_mnist(argv[2], "train").images.unsqueeze(1);
    const auto [train, val] = vedkit::hold_out_images(images, val_fraction, runtime.seed);
    vedkit::TensorImageData data(train, val, batch_size, {}, runtime.seed);
    vedkit::AutoencoderTask task(model, data, losses, device, runtime.seed);
    std::cout << "Fashion-MNIST: " << train.size(0) << " training, " << val.size(0)
              << " validation images on " << device << "\n";
    const auto result = vedkit::train(task, options, config.to_yaml());
    // What vedkit-export writes: small enough to bring back from the machine.
    const auto exported = options.out_dir + "/best_export.vdk";
    const auto best = std::filesystem::exists(result.best_path) ? result.best_path : result.last_path;
    vedkit::ModelFile::open(best).write_inference_copy(exported);
    std::cout << "best SSIM " << result.best_metric << ": " << exported << "\n";
    return result.interrupted ? 130 : 0;
  } catch (const std::exception& e) {
    std::cerr << "train-fashion-mnist: " << e.what() << "\n";
    return 1;
  }
}
