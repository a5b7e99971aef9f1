#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vedkit {

// An image and all of its captions (COCO and Flickr8k have five per image).
struct CaptionedImage {
  std::string image_path;
  std::vector<std::string> captions;
  std::optional<int64_t> coco_id;  // its id in a COCO captions file
};

// The readers keep the order in which images first appear, join each file name to image_dir
// (or, when image_dir is "", to the caption file's folder) without checking that the image
// exists, and report bad input as one DataError naming the file, the line or JSON field, and
// what to do.

// COCO captions_*.json: "images": [{"id", "file_name"}], "annotations": [{"image_id",
// "caption"}]. Images without a caption are left out.
std::vector<CaptionedImage> read_coco_captions(const std::string& json_path,
                                               const std::string& image_dir);

// Flickr8k.token.txt: "1000268201_693b08cb0e.jpg#0<TAB>A child in a pink dress ...".
std::vector<CaptionedImage> read_flickr8k_captions(const std::string& token_file,
                                                   const std::string& image_dir);

// "images/000000.png<TAB>a shirt below a sneaker"; an image on several lines has several
// captions (datasets/samples/captions.tsv).
std::vector<CaptionedImage> read_caption_tsv(const std::string& tsv_path,
                                             const std::string& image_dir);

// By the file: .json is COCO; lines whose image ends in "#<digits>" are Flickr8k; else TSV.
std::vector<CaptionedImage> read_captions(const std::string& path, const std::string& image_dir);

}  // namespace vedkit
