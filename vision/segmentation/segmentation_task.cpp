#include "vision/segmentation/segmentation_task.h"

#include <algorithm>

#include "core/distributed.h"
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
  const auto masks = batch.masks.to(device_);
  auto loss = segmentation_loss(logits, masks, loss_);
  // Means over labelled pixels become the mean over every rank's (dice and region terms are
  // per batch, as in PyTorch's DDP).
  const bool pixel_means = std::all_of(loss_.terms.begin(), loss_.terms.end(), [](const auto& term) {
    return (term.type == "cross_entropy" && term.class_weights.empty()) || term.type == "focal";
  });
  if (pixel_means && current_group() != nullptr) {
    loss = loss * mean_share((masks != loss_.ignore_index).sum().item<double>());
  }
  return loss;
}

std::vector<std::pair<std::string, double>> SegmentationTask::validate() {
  torch::NoGradGuard no_grad;
  ConfusionMatrix confusion(model_->num_classes(), loss_.ignore_index);
  double loss_sum = 0;
  // Each rank scores its share of the batches; the counts are summed over the ranks.
  for (const int64_t i : current_shard().val_batches(data_.val_batches())) {
    const auto batch = data_.val_batch(i);
    const auto masks = batch.masks.to(device_);
    const auto probabilities = predict_probabilities(*model_, batch.images.to(device_));
    loss_sum += torch::nll_loss2d(probabilities.clamp_min(1e-8).log(), masks, {},
                                  at::Reduction::Mean, loss_.ignore_index)
                    .item<double>();
    confusion.add(probabilities.argmax(1), masks);
  }
  if (RankGroup* group = current_group()) {
    std::vector<at::Tensor> sums{confusion.counts(), at::tensor({loss_sum}, at::kDouble)};
    group->all_reduce_sum(sums);
    loss_sum = sums[1].item<double>();
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
