#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace vedkit {

// Per-class and mean scores from a confusion matrix, mmseg's convention: sums over the whole
// data set (not per image), ignored pixels skipped, and a class absent from both prediction
// and ground truth has NaN IoU/Dice/accuracy and is left out of the means.
struct SegmentationScores {
  std::vector<double> iou, dice, accuracy;  // per class
  double mean_iou = 0, mean_dice = 0, mean_accuracy = 0;
  double pixel_accuracy = 0;  // aAcc: correct / labelled pixels
};

class ConfusionMatrix {
 public:
  ConfusionMatrix(int64_t num_classes, int64_t ignore_index = 255);

  // prediction and target: integer class maps of the same shape.
  void add(const at::Tensor& prediction, const at::Tensor& target);
  void reset();

  const at::Tensor& counts() const { return counts_; }  // [K, K] int64, rows = truth
  SegmentationScores scores() const;

 private:
  int64_t num_classes_;
  int64_t ignore_index_;
  at::Tensor counts_;
};

// A table (Class | IoU | Dice | Acc, then aAcc, mIoU, mDice, mAcc) and the same as JSON.
std::string format_scores_table(const SegmentationScores& scores,
                                const std::vector<std::string>& class_names);
std::string format_scores_json(const SegmentationScores& scores,
                               const std::vector<std::string>& class_names);

}  // namespace vedkit
