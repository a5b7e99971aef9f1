#include "apps/train_segmentation.h"

#include <iostream>

#include "core/runtime.h"
#include "core/trainer.h"
#include "datasets/segmentation/segmentation_folder_data.h"
#include "vision/segmentation/segmentation_task.h"

namespace vedkit {
namespace {

// The task with the data's class names as the model file's vocabulary.
class NamedSegmentationTask : public SegmentationTask {
 public:
  using SegmentationTask::SegmentationTask;
  std::vector<std::string> names;
  std::vector<std::string> vocabulary() const override { return names; }
};

}  // namespace

int train_segmentation(Config& config, const TrainArgs& args) {
  config.root().get_string("task", std::nullopt, {"segmentation"});
  const auto runtime = read_runtime_options(config.section("runtime"));
  const auto device = apply_runtime(runtime);
  auto model = build_segmentation_model(config.section("model"));
  const auto loss = read_segmentation_loss_options(config.section("train"), model->num_classes());
  const auto trainer_options = read_trainer_options(config.section("train"));
  const auto data_options =
      read_segmentation_data_options(config.section("data"), model->num_classes(), runtime.seed);
  config.check_all_keys_known();
  if (args.print_config) {
    std::cout << config.to_yaml();
    return 0;
  }

  SegmentationFolderData data(data_options, model->num_classes(), model->in_channels(), args.quiet);
  if (!args.quiet) {
    std::cout << "segmentation: " << data.train_size() << " training and " << data.val_size()
              << " validation images, " << model->num_classes() << " classes, "
              << at::get_num_threads() << " threads, writing to " << trainer_options.out_dir << "\n";
  }
  NamedSegmentationTask task(model, data, loss, device);
  task.names = data.class_names();
  const auto result = train(task, trainer_options, config.to_yaml(), args.resume, args.quiet);
  if (!args.quiet && !result.interrupted) {
    std::cout << "best mIoU " << result.best_metric << ": " << result.best_path << "\n";
  }
  return result.interrupted ? 130 : 0;
}

}  // namespace vedkit
