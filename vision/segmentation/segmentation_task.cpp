#include "vision/segmentation/segmentation_task.h"

#include "vision/metrics/confusion_matrix.h"

namespace vedkit {

SegmentationTask::SegmentationTask(SegmentationModel model, SegmentationData& data,
                                   SegmentationLossOptions loss, c10::Device device)
    : model_(std::move(model)), data_(data), loss_(std::move(loss)), device_(device) {
  model_->to(device_);
}

at::Tensor SegmentationTask::train_step(std::map<std::string, double>&) {
  const auto batch = data_.next_train_batch();
  const auto logits = model_->forward(batch.images.to(device_));
  return segmentation_loss(logits, batch.masks.to(device_), loss_);
}

std::vector<std::pair<std::string, double>> SegmentationTask::validate() {
  torch::NoGradGuard no_grad;
  ConfusionMatrix confusion(model_->num_classes(), loss_.ignore_index);
  double loss_sum = 0;
  for (int64_t i = 0; i < data_.val_batches(); ++i) {
    const auto batch = data_.val_batch(i);
    const auto masks = batch.masks.to(device_);
    const auto probabilities = predict_probabilities(*model_, batch.images.to(device_));
    loss_sum += torch::nll_loss2d(probabilities.clamp_min(1e-8).log(), masks, {},
                                  at::Reduction::Mean, loss_.ignore_index)
                    .item<double>();
    confusion.add(probabilities.argmax(1), masks);
  }
  const auto scores = confusion.scores();
  const double batches = std::max<int64_t>(1, data_.val_batches());
  return {{"val_loss", loss_sum / batches},
          {"mIoU", scores.mean_iou},
          {"mDice", scores.mean_dice},
          {"aAcc", scores.pixel_accuracy}};
}

void SegmentationTask::save_preview(const std::string& path_stem) {
  if (data_.val_batches() == 0) return;
  torch::NoGradGuard no_grad;
  const auto batch = data_.val_batch(0);
  const auto predicted = predict_probabilities(*model_, batch.images.to(device_)).argmax(1);
  data_.write_preview(path_stem + ".png", batch.images, batch.masks, predicted.to(torch::kCPU));
}

}  // namespace vedkit
