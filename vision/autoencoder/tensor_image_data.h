#pragma once

#include <functional>
#include <string>

#include "vision/autoencoder/autoencoder_data.h"

namespace vedkit {

// Random changes to each training image; validation images are never changed.
struct TrainingAugmentation {
  bool flip = false;  // horizontal, with probability 1/2
  int64_t shift = 0;  // translation by up to this many pixels each way, edges replicated
};

// Autoencoder batches from images already in memory: uint8 [N, C, H, W] training and
// validation tensors, shuffled per epoch (seeded), optionally augmented.
class TensorImageData : public AutoencoderData {
 public:
  using PreviewWriter = std::function<void(const std::string& path, const at::Tensor& inputs,
                                           const at::Tensor& reconstructions)>;

  TensorImageData(at::Tensor train, at::Tensor val, int64_t batch_size,
                  TrainingAugmentation augmentation, uint64_t seed,
                  PreviewWriter preview = nullptr);

  int64_t train_batches() const override;
  void start_epoch(int64_t epoch, int64_t first_batch) override;
  at::Tensor next_train_batch() override;
  int64_t val_batches() const override;
  at::Tensor val_batch(int64_t index) override;
  void write_preview(const std::string& path, const at::Tensor& inputs,
                     const at::Tensor& reconstructions) override;

  int64_t train_size() const { return train_.size(0); }
  int64_t val_size() const { return val_.size(0); }

 private:
  at::Tensor train_, val_;
  int64_t batch_size_;
  TrainingAugmentation augmentation_;
  uint64_t seed_;
  PreviewWriter preview_;
  at::Tensor order_;  // this epoch's shuffled training indices
  int64_t next_ = 0;
  int64_t epoch_ = 0;
};

// Splits images into (train, validation) with round(fraction * N) validation images, chosen
// by a seeded shuffle.
std::pair<at::Tensor, at::Tensor> hold_out_images(const at::Tensor& images, double fraction,
                                                  uint64_t seed);

}  // namespace vedkit
