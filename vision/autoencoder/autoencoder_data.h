#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace vedkit {

// Where an autoencoder's batches come from: images [B, C, H, W] float in [0, 1]. datasets/
// implements it over image folders and Fashion-MNIST, keeping the task free of image I/O.
class AutoencoderData {
 public:
  virtual ~AutoencoderData() = default;

  virtual int64_t train_batches() const = 0;
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;  // see TrainingTask
  virtual at::Tensor next_train_batch() = 0;  // augmented
  virtual int64_t val_batches() const = 0;
  virtual at::Tensor val_batch(int64_t index) = 0;
  // Writes a PNG grid: the model's inputs above their reconstructions.
  virtual void write_preview(const std::string& path, const at::Tensor& inputs,
                             const at::Tensor& reconstructions) = 0;
};

}  // namespace vedkit
