#include "vision/autoencoder/tensor_image_data.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace vedkit {
namespace {

// Each image of [B, C, H, W] moved by its own random offset in [-shift, shift] on both axes.
at::Tensor shift_at_random(const at::Tensor& batch, int64_t shift) {
  const int64_t height = batch.size(2), width = batch.size(3);
  const auto padded = at::replication_pad2d(batch, {shift, shift, shift, shift});
  const auto offsets = torch::randint(0, 2 * shift + 1, {batch.size(0), 2}, torch::kLong);
  const auto* offset = offsets.data_ptr<int64_t>();
  auto shifted = torch::empty_like(batch);
  for (int64_t i = 0; i < batch.size(0); ++i) {
    const auto window = padded[i].narrow(1, offset[2 * i], height);
    shifted[i].copy_(window.narrow(2, offset[2 * i + 1], width));
  }
  return shifted;
}

}  // namespace

TensorImageData::TensorImageData(at::Tensor train, at::Tensor val, int64_t batch_size,
                                 TrainingAugmentation augmentation, uint64_t seed,
                                 PreviewWriter preview)
    : train_(std::move(train)),
      val_(std::move(val)),
      batch_size_(batch_size),
      augmentation_(augmentation),
      seed_(seed),
      preview_(std::move(preview)) {}

int64_t TensorImageData::train_batches() const { return train_.size(0) / batch_size_; }

void TensorImageData::start_epoch(int64_t epoch, int64_t first_batch) {
  epoch_ = epoch;
  next_ = first_batch;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed_ * 1000003 + epoch);
  order_ = torch::randperm(train_.size(0), generator, torch::kLong);
}

at::Tensor TensorImageData::next_train_batch() {
  if (!order_.defined()) start_epoch(epoch_, 0);
  const auto index = order_.narrow(0, (next_++ % train_batches()) * batch_size_, batch_size_);
  auto batch = train_.index_select(0, index).to(torch::kFloat).div_(255);
  if (augmentation_.flip) {
    const auto flipped = torch::rand({batch.size(0)}) < 0.5;
    batch.index_put_({flipped}, batch.index({flipped}).flip(3));
  }
  if (augmentation_.shift > 0) batch = shift_at_random(batch, augmentation_.shift);
  return batch;
}

int64_t TensorImageData::val_batches() const { return (val_.size(0) + batch_size_ - 1) / batch_size_; }

at::Tensor TensorImageData::val_batch(int64_t index) {
  const int64_t start = index * batch_size_;
  return val_.narrow(0, start, std::min(batch_size_, val_.size(0) - start)).to(torch::kFloat).div(255);
}

void TensorImageData::write_preview(const std::string& path, const at::Tensor& inputs,
                                    const at::Tensor& reconstructions) {
  if (preview_) preview_(path, inputs, reconstructions);
}

std::pair<at::Tensor, at::Tensor> hold_out_images(const at::Tensor& images, double fraction,
                                                  uint64_t seed) {
  const int64_t count = images.size(0);
  const int64_t held = std::min<int64_t>(count - 1, std::llround(fraction * count));
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto order = torch::randperm(count, generator, torch::kLong);
  return {images.index_select(0, order.narrow(0, held, count - held)),
          images.index_select(0, order.narrow(0, 0, held))};
}

}  // namespace vedkit
