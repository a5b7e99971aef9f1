#pragma once

#include <opencv2/core/mat.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/parallel_loader.h"
#include "datasets/segmentation/image_mask_pairs.h"
#include "datasets/segmentation/joint_augment.h"
#include "vision/segmentation/segmentation_data.h"

namespace vedkit {

struct SegmentationDataOptions {
  std::string type = "scenes";  // scenes | folders
  std::string root;             // scenes: the set's folder
  std::string train_split = "train", val_split = "val";
  std::string images, masks, val_images, val_masks;  // folders
  double val_fraction = 0.1;  // folders without val_images: held out from images
  int64_t max_train_images = 0;  // > 0: train on the first N training pairs only (few labels)
  std::vector<std::array<uint8_t, 3>> palette;       // colour masks: class = palette position
  bool binary_masks = false;                         // read 0/255 masks as classes 0/1
  std::vector<std::string> class_names;              // default: root/classes.txt or numbers
  int64_t batch_size = 8;
  int64_t workers = 2;
  AugmentOptions augment;
  int64_t seed = 0;
};

SegmentationDataOptions read_segmentation_data_options(ConfigSection data, int64_t num_classes,
                                                       int64_t seed);

// An image and its mask, decoded once: 8-bit BGR or grey, and 16-bit class indices.
struct DecodedPair {
  cv::Mat image;
  cv::Mat mask;
};

// Decodes a pair, checking sizes and class values; a bad pair is a DataError naming it.
DecodedPair decode_pair(const ImageMaskPair& pair, const SegmentationDataOptions& options,
                        int64_t num_classes, int64_t in_channels);

// Image/mask pairs from folders or a scenes set, decoded once into memory, augmented and
// batched on worker threads. Unreadable pairs are reported once and skipped.
class SegmentationFolderData : public SegmentationData {
 public:
  SegmentationFolderData(const SegmentationDataOptions& options, int64_t num_classes,
                         int64_t in_channels, bool quiet = false);
  ~SegmentationFolderData() override;

  std::vector<std::string> class_names() const override { return class_names_; }
  int64_t train_batches() const override;
  void start_epoch(int64_t epoch, int64_t first_batch) override;
  SegmentationBatch next_train_batch() override;
  int64_t val_batches() const override;
  SegmentationBatch val_batch(int64_t index) override;
  void write_preview(const std::string& path, const at::Tensor& images, const at::Tensor& truth,
                     const at::Tensor& predicted) override;

  int64_t train_size() const { return static_cast<int64_t>(train_.size()); }
  int64_t val_size() const { return static_cast<int64_t>(val_.size()); }

 private:
  // Augmented when seeds are given, one per sample.
  SegmentationBatch make_batch(const std::vector<DecodedPair>& pairs,
                               const std::vector<int64_t>& indices,
                               const std::vector<uint64_t>& seeds) const;

  SegmentationDataOptions options_;
  int64_t num_classes_;
  int64_t in_channels_;
  std::vector<std::string> class_names_;
  std::vector<DecodedPair> train_, val_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0;
  std::unique_ptr<ParallelLoader<SegmentationBatch>> loader_;
};

}  // namespace vedkit
