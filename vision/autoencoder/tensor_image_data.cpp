#include "vision/autoencoder/tensor_image_data.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "core/distributed.h"

namespace vedkit {
namespace {

// An image [C, H, W] flipped and moved by a random offset in [-shift, shift] on both axes,
// as generator draws.
at::Tensor augment_image(at::Tensor image, const TrainingAugmentation& augmentation,
                         at::Generator generator) {
  if (augmentation.flip && torch::rand({1}, generator).item<double>() < 0.5) image = image.flip(2);
  const int64_t shift = augmentation.shift;
  if (shift == 0) return image;
  const int64_t height = image.size(1), width = image.size(2);
  const auto padded = at::replication_pad2d(image.unsqueeze(0), {shift, shift, shift, shift})[0];
  const auto offsets = torch::randint(0, 2 * shift + 1, {2}, generator, torch::kLong);
  return padded.narrow(1, offsets[0].item<int64_t>(), height).narrow(2, offsets[1].item<int64_t>(), width);
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

int64_t TensorImageData::train_batches() const {
  return current_shard().train_batches(train_.size(0), batch_size_);
}

void TensorImageData::start_epoch(int64_t epoch, int64_t first_batch) {
  epoch_ = epoch;
  next_ = first_batch;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed_ * 1000003 + epoch);
  order_ = torch::randperm(train_.size(0), generator, torch::kLong);
}

at::Tensor TensorImageData::next_train_batch() {
  if (!order_.defined()) start_epoch(epoch_, 0);
  const DataShard shard = current_shard();
  const int64_t first = shard.position(next_++ % train_batches(), 0, batch_size_);
  const auto index = order_.narrow(0, first, batch_size_);
  auto batch = train_.index_select(0, index).to(torch::kFloat).div_(255);
  if (augmentation_.flip || augmentation_.shift > 0) {
    // A sample's draws come from the seed, the epoch and its place in the epoch's order: the
    // same whichever rank draws it, at any world size.
    for (int64_t i = 0; i < batch_size_; ++i) {
      auto generator = at::make_generator<at::CPUGeneratorImpl>(
          (seed_ * 1000003 + epoch_) * 1000003 + static_cast<uint64_t>(first + i));
      batch[i].copy_(augment_image(batch[i], augmentation_, generator));
    }
  }
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
