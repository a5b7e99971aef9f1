#pragma once

#include <string>
#include <vector>

namespace vedkit {

struct ImageMaskPair {
  std::string image;
  std::string mask;
};

// Every image under images_dir (recursive; PNG, JPEG, BMP, TIFF, WebP) whose path relative to
// it, without extension, matches a mask under masks_dir. An image without a mask is a
// DataError naming it; no images at all is a DataError naming the folder.
std::vector<ImageMaskPair> pairs_from_folders(const std::string& images_dir,
                                              const std::string& masks_dir);

// The scenes layout: root/<split>.txt lists stems of root/images/STEM.png and
// root/masks/STEM.png.
std::vector<ImageMaskPair> pairs_from_split(const std::string& root, const std::string& split);

}  // namespace vedkit
