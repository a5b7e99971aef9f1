#include "datasets/segmentation/segmentation_folder_data.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <tuple>

#include "core/distributed.h"
#include "core/error.h"
#include "vision/io/image_io.h"
#include "vision/io/overlay.h"

namespace vedkit {
namespace {

std::vector<std::string> read_class_names(const std::string& root, int64_t num_classes) {
  std::vector<std::string> names;
  std::ifstream in(std::filesystem::path(root) / "classes.txt");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) names.push_back(line);
  }
  if (names.empty()) {
    for (int64_t k = 0; k < num_classes; ++k) names.push_back(k == 0 ? "background" : "class " + std::to_string(k));
  }
  return names;
}

// Shuffles pairs with seed and moves round(fraction * n) of them (at least one when there
// are two or more) to the second list.
std::pair<std::vector<ImageMaskPair>, std::vector<ImageMaskPair>> hold_out(
    std::vector<ImageMaskPair> pairs, double fraction, int64_t seed) {
  SplitMix64 rng(derive_seed(static_cast<uint64_t>(seed), 0x7a1));
  for (size_t i = pairs.size(); i > 1; --i) std::swap(pairs[i - 1], pairs[rng.below(static_cast<int64_t>(i))]);
  auto held = static_cast<size_t>(std::lround(fraction * static_cast<double>(pairs.size())));
  if (fraction > 0 && pairs.size() > 1) held = std::clamp<size_t>(held, 1, pairs.size() - 1);
  std::vector<ImageMaskPair> val(pairs.end() - static_cast<std::ptrdiff_t>(held), pairs.end());
  pairs.resize(pairs.size() - held);
  return {pairs, val};
}

cv::Mat read_bgr_or_grey(const std::string& path, int64_t channels) {
  // read_image validates and converts; back to 8-bit for OpenCV's augmentation.
  return tensor_to_image(read_image(path, channels));
}

cv::Mat mask_to_mat(const at::Tensor& classes) {
  const auto values = classes.to(torch::kInt).contiguous();
  cv::Mat as_int(static_cast<int>(values.size(0)), static_cast<int>(values.size(1)), CV_32S,
                 values.data_ptr<int>());
  cv::Mat mask;
  as_int.convertTo(mask, CV_16U);
  return mask;
}

}  // namespace

SegmentationDataOptions read_segmentation_data_options(ConfigSection data, int64_t num_classes,
                                                       int64_t seed) {
  SegmentationDataOptions options;
  options.seed = seed;
  options.type = data.get_string("type", options.type, {"scenes", "folders"});
  if (options.type == "scenes") {
    options.root = data.get_string("root", std::nullopt);
    options.train_split = data.get_string("train_split", options.train_split);
    options.val_split = data.get_string("val_split", options.val_split);
  } else {
    options.images = data.get_string("images", std::nullopt);
    options.masks = data.get_string("masks", std::nullopt);
    options.val_images = data.get_string("val_images", "");
    options.val_masks = data.get_string("val_masks", "");
    if (options.val_images.empty() != options.val_masks.empty()) {
      data.fail(options.val_images.empty() ? "val_images" : "val_masks",
                "give val_images and val_masks together, or neither to hold out val_fraction");
    }
    options.val_fraction = data.get_real("val_fraction", options.val_fraction, {0.0, 0.9});
  }
  if (data.has("palette")) {
    const auto flat = data.get_ints("palette", std::nullopt, {0, 255});
    if (flat.size() != static_cast<size_t>(3 * num_classes)) {
      data.fail("palette", "expected " + std::to_string(num_classes) +
                               " RGB colours (3 numbers each, class order)");
    }
    for (size_t i = 0; i < flat.size(); i += 3) {
      options.palette.push_back({static_cast<uint8_t>(flat[i]), static_cast<uint8_t>(flat[i + 1]),
                                 static_cast<uint8_t>(flat[i + 2])});
    }
  }
  options.max_train_images = data.get_int("max_train_images", 0, {0, 1LL << 40});
  options.binary_masks = data.get_bool("binary_masks", false);
  options.class_names = data.get_strings("class_names", std::vector<std::string>{});
  if (!options.class_names.empty() && static_cast<int64_t>(options.class_names.size()) != num_classes) {
    data.fail("class_names", "expected " + std::to_string(num_classes) + " names (model.decoder.num_classes)");
  }
  options.batch_size = data.get_int("batch_size", options.batch_size, {1, 4096});
  options.workers = data.get_int("workers", options.workers, {1, 64});
  auto augment = data.section("augment");
  auto& a = options.augment;
  a.crop = static_cast<int>(augment.get_int("crop", a.crop, {0, 8192}));
  const auto scale = augment.get_reals("scale", std::vector<double>{a.scale_min, a.scale_max}, {0.05, 20.0});
  if (scale.size() != 2 || scale[0] > scale[1]) augment.fail("scale", "expected [min, max]");
  a.scale_min = scale[0];
  a.scale_max = scale[1];
  a.flip = augment.get_bool("flip", a.flip);
  a.rotate_degrees = augment.get_real("rotate", a.rotate_degrees, {0.0, 180.0});
  a.jitter = augment.get_real("jitter", a.jitter, {0.0, 1.0});
  return options;
}

DecodedPair decode_pair(const ImageMaskPair& pair, const SegmentationDataOptions& options,
                        int64_t num_classes, int64_t in_channels) {
  DecodedPair decoded;
  decoded.image = read_bgr_or_grey(pair.image, in_channels);
  at::Tensor classes = options.palette.empty()
                           ? read_mask(pair.mask)
                           : read_colour_mask(pair.mask, options.palette, options.augment.ignore_index);
  if (options.binary_masks) classes = classes.masked_fill(classes == 255, 1);
  if (classes.size(0) != decoded.image.rows || classes.size(1) != decoded.image.cols) {
    throw DataError(pair.mask + ": mask is " + std::to_string(classes.size(1)) + "x" +
                    std::to_string(classes.size(0)) + " but its image " + pair.image + " is " +
                    std::to_string(decoded.image.cols) + "x" + std::to_string(decoded.image.rows));
  }
  const auto labelled = classes.masked_select(classes != options.augment.ignore_index);
  if (labelled.numel() > 0 && labelled.max().item<int64_t>() >= num_classes) {
    throw DataError(pair.mask + ": class " + std::to_string(labelled.max().item<int64_t>()) +
                    " but the model has " + std::to_string(num_classes) +
                    " classes; raise model.decoder.num_classes");
  }
  decoded.mask = mask_to_mat(classes);
  return decoded;
}

SegmentationFolderData::SegmentationFolderData(const SegmentationDataOptions& options,
                                               int64_t num_classes, int64_t in_channels,
                                               bool quiet)
    : options_(options), num_classes_(num_classes), in_channels_(in_channels) {
  const bool scenes = options.type == "scenes";
  std::vector<ImageMaskPair> train_pairs, val_pairs;
  if (scenes) {
    train_pairs = pairs_from_split(options.root, options.train_split);
    val_pairs = pairs_from_split(options.root, options.val_split);
  } else if (!options.val_images.empty()) {
    train_pairs = pairs_from_folders(options.images, options.masks);
    val_pairs = pairs_from_folders(options.val_images, options.val_masks);
  } else {
    std::tie(train_pairs, val_pairs) =
        hold_out(pairs_from_folders(options.images, options.masks), options.val_fraction, options.seed);
  }
  if (options.max_train_images > 0 && static_cast<int64_t>(train_pairs.size()) > options.max_train_images) {
    train_pairs.resize(options.max_train_images);
  }
  class_names_ = options.class_names.empty() ? read_class_names(options.root, num_classes)
                                             : options.class_names;

  auto decode_all = [&](const std::vector<ImageMaskPair>& pairs, std::vector<DecodedPair>& out) {
    std::vector<std::string> skipped;
    bool only_0_and_255 = true, any_255 = false;
    for (const auto& pair : pairs) {
      try {
        DecodedPair decoded = decode_pair(pair, options, num_classes, in_channels);
        const cv::Mat is_255 = decoded.mask == 255;
        any_255 = any_255 || cv::countNonZero(is_255) > 0;
        only_0_and_255 = only_0_and_255 && cv::countNonZero((decoded.mask != 0) & ~is_255) == 0;
        out.push_back(std::move(decoded));
      } catch (const DataError& e) {
        skipped.push_back(e.what());
      }
    }
    // The 0/255 binary-mask mistake (mmseg #1609): every object pixel would be ignored.
    if (only_0_and_255 && any_255 && !out.empty() && !options.binary_masks) {
      throw DataError(pairs.front().mask + ": masks hold only 0 and 255, and 255 means 'ignore'; "
                      "if they are binary masks set data.binary_masks: true");
    }
    if (!quiet) {
      for (const auto& message : skipped) std::cerr << "skipped: " << message << "\n";
    }
    if (out.empty()) {
      throw DataError(pairs.front().image + " ...: none of the " + std::to_string(pairs.size()) +
                      " image/mask pairs could be read");
    }
  };
  decode_all(train_pairs, train_);
  decode_all(val_pairs, val_);
  order_.resize(train_size());
}

SegmentationFolderData::~SegmentationFolderData() = default;

int64_t SegmentationFolderData::train_batches() const {
  return std::max<int64_t>(1, current_shard().train_batches(train_size(), options_.batch_size));
}

void SegmentationFolderData::start_epoch(int64_t epoch, int64_t first_batch) {
  epoch_ = epoch;
  // Each epoch's order comes from the seed and the epoch alone, so a resumed run sees the
  // batches an uninterrupted one would.
  SplitMix64 rng(derive_seed(options_.seed, epoch));
  std::iota(order_.begin(), order_.end(), 0);
  for (int64_t i = train_size() - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
  loader_.reset();
  // A sample's augmentation comes from the seed, the epoch and its place in the epoch's
  // order: the same whichever rank draws it, at any world size.
  const uint64_t epoch_seed = derive_seed(options_.seed ^ 0xA5A5, epoch);
  loader_ = std::make_unique<ParallelLoader<SegmentationBatch>>(
      train_batches() - first_batch,
      [this, epoch_seed, first_batch, shard = current_shard()](int64_t loaded) {
        const int64_t batch = first_batch + loaded;
        std::vector<int64_t> indices;
        std::vector<uint64_t> seeds;
        for (int64_t i = 0; i < options_.batch_size; ++i) {
          const int64_t position = shard.position(batch, i, options_.batch_size);
          indices.push_back(order_[position % train_size()]);
          seeds.push_back(derive_seed(epoch_seed, static_cast<uint64_t>(position)));
        }
        return make_batch(train_, indices, seeds);
      },
      options_.workers, 2 * options_.workers);
}

SegmentationBatch SegmentationFolderData::next_train_batch() {
  if (!loader_ || loader_->done()) start_epoch(epoch_, 0);
  return loader_->next();
}

int64_t SegmentationFolderData::val_batches() const {
  // Validation images keep their own sizes, so they batch only when all sizes agree.
  for (const auto& pair : val_) {
    if (pair.image.size() != val_.front().image.size()) return val_size();
  }
  return (val_size() + options_.batch_size - 1) / options_.batch_size;
}

SegmentationBatch SegmentationFolderData::val_batch(int64_t index) {
  const int64_t per_batch = val_batches() == val_size() ? 1 : options_.batch_size;
  std::vector<int64_t> indices;
  for (int64_t i = index * per_batch; i < std::min(val_size(), (index + 1) * per_batch); ++i) {
    indices.push_back(i);
  }
  return make_batch(val_, indices, {});
}

SegmentationBatch SegmentationFolderData::make_batch(const std::vector<DecodedPair>& pairs,
                                                     const std::vector<int64_t>& indices,
                                                     const std::vector<uint64_t>& seeds) const {
  std::vector<at::Tensor> images, masks;
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t index = indices[k];
    cv::Mat image = pairs[index].image.clone();
    cv::Mat mask = pairs[index].mask.clone();
    if (!seeds.empty()) {
      SplitMix64 rng(seeds[k]);
      augment_pair(image, mask, options_.augment, rng);
    }
    images.push_back(image_to_tensor(image, in_channels_));
    cv::Mat as_int;
    mask.convertTo(as_int, CV_32S);
    masks.push_back(torch::from_blob(as_int.data, {as_int.rows, as_int.cols}, torch::kInt).to(torch::kLong));
  }
  return {torch::stack(images), torch::stack(masks)};
}

void SegmentationFolderData::write_preview(const std::string& path, const at::Tensor& images,
                                           const at::Tensor& truth, const at::Tensor& predicted) {
  std::vector<cv::Mat> rows;
  for (int64_t i = 0; i < std::min<int64_t>(4, images.size(0)); ++i) {
    cv::Mat image = tensor_to_image(images[i]);
    if (image.channels() == 1) cv::cvtColor(image, image, cv::COLOR_GRAY2BGR);
    const auto labelled_truth = truth[i].masked_fill(truth[i] == options_.augment.ignore_index, 0);
    cv::Mat row;
    cv::hconcat(std::vector<cv::Mat>{image, overlay_mask(image, labelled_truth, class_names_),
                                     overlay_mask(image, predicted[i], class_names_)},
                row);
    rows.push_back(row);
  }
  cv::Mat grid;
  cv::vconcat(rows, grid);
  write_png(path, grid);
}

}  // namespace vedkit
