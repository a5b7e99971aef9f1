#include "datasets/captions/caption_image_data.h"

#include <torch/torch.h>

#include <iostream>
#include <limits>
#include <numeric>
#include <set>

#include "core/distributed.h"
#include "core/error.h"
#include "datasets/autoencoder/image_tensor_set.h"
#include "datasets/captions/caption_lists.h"
#include "datasets/captions/caption_preview.h"
#include "datasets/scenes/splitmix64.h"
#include "vision/autoencoder/tensor_image_data.h"

namespace vedkit {

CaptionDataOptions read_caption_data_options(ConfigSection data, uint64_t seed) {
  CaptionDataOptions options;
  options.seed = seed;
  options.captions = data.get_string("captions", std::nullopt);
  options.images = data.get_string("images", options.images);
  options.size = data.get_ints("size", options.size, {8, 16384});
  if (options.size.size() != 2) data.fail("size", "expected [height, width]");
  options.train_list = data.get_string("train_list", options.train_list);
  options.val_list = data.get_string("val_list", options.val_list);
  if (options.val_list.empty()) {
    options.val_fraction = data.get_real("val_fraction", options.val_fraction, {0.0, 0.9});
  }
  options.max_val_images = data.get_int("max_val_images", options.max_val_images,
                                        {0, std::numeric_limits<int64_t>::max()});
  options.batch_size = data.get_int("batch_size", options.batch_size, {1, 65536});
  return options;
}

CaptionSplits split_caption_file(const CaptionDataOptions& options) {
  const auto all = read_captions(options.captions, options.images);
  CaptionSplits splits;
  if (!options.val_list.empty()) {
    splits.val = keep_listed(all, options.val_list, "data.val_list");
    if (!options.train_list.empty()) {
      splits.train = keep_listed(all, options.train_list, "data.train_list");
    } else {
      std::set<std::string> val_paths;
      for (const auto& image : splits.val) val_paths.insert(image.image_path);
      for (const auto& image : all) {
        if (!val_paths.count(image.image_path)) splits.train.push_back(image);
      }
    }
  } else {
    const auto pool =
        options.train_list.empty() ? all : keep_listed(all, options.train_list, "data.train_list");
    const auto [train, val] = hold_out_images(torch::arange(static_cast<int64_t>(pool.size())),
                                              options.val_fraction, options.seed);
    for (int64_t i = 0; i < train.size(0); ++i)
      splits.train.push_back(pool[train[i].item<int64_t>()]);
    for (int64_t i = 0; i < val.size(0); ++i) splits.val.push_back(pool[val[i].item<int64_t>()]);
  }
  if (options.max_val_images > 0 &&
      static_cast<int64_t>(splits.val.size()) > options.max_val_images) {
    splits.val.resize(options.max_val_images);
  }
  if (splits.val.empty()) {
    throw DataError(options.captions +
                    ": no validation images; give data.val_list, or a "
                    "data.val_fraction above 0");
  }
  return splits;
}

CaptionImageData::CaptionImageData(const CaptionDataOptions& options, const CaptionSplits& splits,
                                   int64_t channels)
    : options_(options) {
  train_ = load(splits.train, channels, "training");
  val_ = load(splits.val, channels, "validation");
  if (train_size() < options.batch_size) {
    throw DataError(options.captions + ": " + std::to_string(train_size()) +
                    " training images, fewer than one batch (data.batch_size " +
                    std::to_string(options.batch_size) + "); lower data.batch_size");
  }
}

CaptionImageData::Split CaptionImageData::load(const std::vector<CaptionedImage>& images,
                                               int64_t channels, const std::string& split) const {
  if (images.empty()) {
    throw DataError(options_.captions + ": no " + split +
                    " images left by data.train_list and data.val_list");
  }
  std::vector<std::string> paths;
  for (const auto& image : images) paths.push_back(image.image_path);
  const auto set = load_image_files(paths, channels, options_.size[0], options_.size[1]);
  for (const auto& message : set.skipped) std::cerr << "skipped: " << message << "\n";
  if (!set.images.defined()) {
    throw DataError(options_.captions + ": none of its " + std::to_string(images.size()) + " " +
                    split + " images could be read (first: " + set.skipped.front() +
                    "); check data.images");
  }
  Split out{set.images, {}};
  for (auto& image : keep_loaded(images, set.paths))
    out.captions.push_back(std::move(image.captions));
  return out;
}

int64_t CaptionImageData::train_batches() const {
  return current_shard().train_batches(train_size(), options_.batch_size);
}

void CaptionImageData::start_epoch(int64_t epoch, int64_t first_batch) {
  epoch_ = epoch;
  next_ = first_batch;
  SplitMix64 rng(derive_seed(options_.seed, epoch));
  order_.resize(train_size());
  std::iota(order_.begin(), order_.end(), 0);
  for (int64_t i = train_size() - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
  choice_.clear();
  for (const auto& captions : train_.captions) {
    choice_.push_back(rng.below(static_cast<int64_t>(captions.size())));
  }
}

CaptionTrainBatch CaptionImageData::next_train_batch() {
  if (order_.empty()) start_epoch(epoch_, 0);
  const auto first = order_.begin() +
                     current_shard().position(next_++ % train_batches(), 0, options_.batch_size);
  const std::vector<int64_t> index(first, first + options_.batch_size);
  CaptionTrainBatch batch;
  batch.images =
      train_.images.index_select(0, torch::tensor(index, torch::kLong)).to(torch::kFloat).div_(255);
  for (const int64_t i : index) batch.captions.push_back(train_.captions[i][choice_[i]]);
  return batch;
}

int64_t CaptionImageData::val_batches() const {
  return (val_size() + options_.batch_size - 1) / options_.batch_size;
}

CaptionValBatch CaptionImageData::val_batch(int64_t index) {
  const int64_t start = index * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, val_size() - start);
  const auto first = val_.captions.begin() + start;
  return {val_.images.narrow(0, start, count).to(torch::kFloat).div(255), {first, first + count}};
}

void CaptionImageData::write_preview(const std::string& path, const at::Tensor& images,
                                     const std::vector<std::string>& captions) {
  write_caption_grid(path, images, captions);
}

}  // namespace vedkit
