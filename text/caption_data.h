#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace vedkit {

// Images [B, C, H, W] float in [0, 1] and one caption per image: for training, one of the
// image's references, drawn afresh each epoch.
struct CaptionTrainBatch {
  at::Tensor images;
  std::vector<std::string> captions;
};

// Images and all of each image's reference captions, what the caption metrics score against.
struct CaptionValBatch {
  at::Tensor images;
  std::vector<std::vector<std::string>> references;
};

// Where a captioning task's batches come from. datasets/ implements it over caption files
// and their images, keeping the task free of image I/O.
class CaptionData {
 public:
  virtual ~CaptionData() = default;

  virtual int64_t train_batches() const = 0;
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;  // see TrainingTask
  virtual CaptionTrainBatch next_train_batch() = 0;
  virtual int64_t val_batches() const = 0;
  virtual CaptionValBatch val_batch(int64_t index) = 0;
  // Writes a PNG grid of the images with each one's caption written under it.
  virtual void write_preview(const std::string& path, const at::Tensor& images,
                             const std::vector<std::string>& captions) = 0;
};

}  // namespace vedkit
