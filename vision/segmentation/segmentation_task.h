#pragma once

#include "core/trainer.h"
#include "vision/segmentation/predict.h"
#include "vision/segmentation/segmentation_data.h"
#include "vision/segmentation/segmentation_loss.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

// Segmentation for the generic trainer: the weighted loss on augmented batches, and mIoU
// (with pixel accuracy, mean Dice) on the validation split from a confusion matrix.
class SegmentationTask : public TrainingTask {
 public:
  SegmentationTask(SegmentationModel model, SegmentationData& data,
                   SegmentationLossOptions loss, c10::Device device);

  torch::nn::Module& model() override { return *model_; }
  int64_t batches_per_epoch() override { return data_.train_batches(); }
  void start_epoch(int64_t epoch, int64_t first_batch) override {
    data_.start_epoch(epoch, first_batch);
  }
  at::Tensor train_step(std::map<std::string, double>& logs) override;
  std::vector<std::pair<std::string, double>> validate() override;
  std::string best_metric() const override { return "mIoU"; }
  // A model for other classes fine-tunes: its classifier starts afresh, the rest is kept.
  bool fine_tunes_to_new_vocabulary() const override { return true; }
  void save_preview(const std::string& path_stem) override;

 private:
  SegmentationModel model_;
  SegmentationData& data_;
  SegmentationLossOptions loss_;
  c10::Device device_;
};

}  // namespace vedkit
