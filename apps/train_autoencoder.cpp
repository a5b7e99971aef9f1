#include "apps/train_autoencoder.h"

#include <iostream>

#include "core/runtime.h"
#include "core/trainer.h"
#include "datasets/autoencoder/autoencoder_image_data.h"
#include "vision/autoencoder/autoencoder_task.h"

namespace vedkit {

int train_autoencoder(Config& config, const TrainArgs& args) {
  config.root().get_string("task", std::nullopt, {"autoencoder"});
  const auto runtime = read_runtime_options(config.section("runtime"));
  const auto device = apply_runtime(runtime);
  auto model = build_autoencoder_model(config.section("model"));
  const auto losses = read_reconstruction_loss_terms(config.section("train"));
  const auto trainer_options = read_trainer_options(config.section("train"));
  const auto data_options =
      read_autoencoder_data_options(config.section("data"), model->input_size(), runtime.seed);
  config.check_all_keys_known();
  if (args.print_config) {
    std::cout << config.to_yaml();
    return 0;
  }

  const auto data = load_autoencoder_data(data_options, model->in_channels());
  if (!args.quiet) {
    std::cout << "autoencoder (" << model->mode().mode << "): " << data->train_size()
              << " training and " << data->val_size() << " validation images of "
              << data_options.size[0] << "x" << data_options.size[1] << ", "
              << at::get_num_threads() << " threads, writing to " << trainer_options.out_dir << "\n";
  }
  AutoencoderTask task(model, *data, losses, device, runtime.seed);
  const auto result = train(task, trainer_options, config.to_yaml(), args.resume, args.quiet);
  if (!args.quiet && !result.interrupted) {
    std::cout << "best SSIM " << result.best_metric << ": " << result.best_path << "\n";
  }
  return result.interrupted ? 130 : 0;
}

}  // namespace vedkit
