#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace vedkit {

struct SegmentationBatch {
  at::Tensor images;  // [B, C, H, W] float in [0, 1]
  at::Tensor masks;   // [B, H, W] int64 class indices, ignore_index where unlabelled
};

// Where a segmentation task's batches come from; datasets/ implements it over image/mask
// folders and the scenes set (with OpenCV), which keeps the task itself free of image I/O.
class SegmentationData {
 public:
  virtual ~SegmentationData() = default;

  virtual std::vector<std::string> class_names() const = 0;
  virtual int64_t train_batches() const = 0;
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;  // see TrainingTask
  virtual SegmentationBatch next_train_batch() = 0;  // augmented
  virtual int64_t val_batches() const = 0;
  virtual SegmentationBatch val_batch(int64_t index) = 0;  // not augmented, full size
  // Writes a PNG grid: image, truth and prediction overlays, one row per image.
  virtual void write_preview(const std::string& path, const at::Tensor& images,
                             const at::Tensor& truth, const at::Tensor& predicted) = 0;
};

}  // namespace vedkit
