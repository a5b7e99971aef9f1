#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "datasets/captions/caption_files.h"
#include "text/caption_data.h"

namespace vedkit {

struct CaptionDataOptions {
  std::string captions;  // the caption file: COCO JSON, Flickr8k tokens or image<TAB>caption
  std::string images;    // the folder its image names are relative to; "" = the file's folder
  std::vector<int64_t> size{128, 128};  // [H, W] every image is brought to
  std::string train_list, val_list;     // files of stems or relative paths
  double val_fraction = 0.1;            // without val_list: held out of the training images
  int64_t max_val_images = 0;           // > 0: validate on this many
  int64_t batch_size = 32;
  uint64_t seed = 0;
};

// Reads `data`: captions, images, size, train_list, val_list, val_fraction (without val_list),
// max_val_images and batch_size.
CaptionDataOptions read_caption_data_options(ConfigSection data, uint64_t seed);

struct CaptionSplits {
  std::vector<CaptionedImage> train, val;
};

// Reads the caption file and splits it: val_list names the validation images, and train_list
// the training ones (without it, every image not in val_list); with no val_list, val_fraction
// of the training images are held out by a seeded shuffle. Then the first max_val_images of
// the validation images are kept. No validation image is a DataError naming the file.
CaptionSplits split_caption_file(const CaptionDataOptions& options);

// The images of the splits decoded once into memory (cover-resized and centre-cropped, never
// flipped: captions say left and right). Unreadable images are listed once on stderr and
// skipped; a split with no readable image, or fewer training images than a batch, is a
// DataError naming the caption file.
class CaptionImageData : public CaptionData {
 public:
  CaptionImageData(const CaptionDataOptions& options, const CaptionSplits& splits,
                   int64_t channels);

  int64_t train_batches() const override;
  void start_epoch(int64_t epoch, int64_t first_batch) override;
  CaptionTrainBatch next_train_batch() override;
  int64_t val_batches() const override;
  CaptionValBatch val_batch(int64_t index) override;
  void write_preview(const std::string& path, const at::Tensor& images,
                     const std::vector<std::string>& captions) override;

  int64_t train_size() const { return train_.images.size(0); }
  int64_t val_size() const { return val_.images.size(0); }

 private:
  struct Split {
    at::Tensor images;  // uint8 [N, C, H, W]
    std::vector<std::vector<std::string>> captions;
  };
  Split load(const std::vector<CaptionedImage>& images, int64_t channels,
             const std::string& split) const;

  CaptionDataOptions options_;
  Split train_, val_;
  std::vector<int64_t> order_;  // this epoch's shuffled training indices
  std::vector<size_t> choice_;  // this epoch's caption of each training image
  int64_t next_ = 0;
  int64_t epoch_ = 0;
};

}  // namespace vedkit
