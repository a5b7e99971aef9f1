#include "datasets/segmentation/image_mask_pairs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.h"
#include "datasets/image_files.h"

namespace fs = std::filesystem;

namespace vedkit {
namespace {

std::string stem_key(const fs::path& file, const fs::path& root) {
  return fs::relative(file, root).replace_extension().string();
}

}  // namespace

std::vector<ImageMaskPair> pairs_from_folders(const std::string& images_dir,
                                              const std::string& masks_dir) {
  const auto images = list_images(images_dir);
  if (images.empty()) throw DataError(images_dir + ": no images (PNG, JPEG, BMP, TIFF, WebP) in the folder");
  std::map<std::string, std::string> masks;
  for (const auto& mask : list_images(masks_dir)) masks[stem_key(mask, masks_dir)] = mask;
  std::vector<ImageMaskPair> pairs;
  for (const auto& image : images) {
    const auto found = masks.find(stem_key(image, images_dir));
    if (found == masks.end()) {
      throw DataError(image + ": no mask with the same name under " + masks_dir);
    }
    pairs.push_back({image, found->second});
  }
  return pairs;
}

std::vector<ImageMaskPair> pairs_from_split(const std::string& root, const std::string& split) {
  const fs::path list = fs::path(root) / (split + ".txt");
  std::ifstream in(list);
  if (!in) throw DataError(list.string() + ": no such split file; generate a scenes set with vedkit-scenes");
  std::vector<ImageMaskPair> pairs;
  for (std::string stem; std::getline(in, stem);) {
    if (stem.empty()) continue;
    pairs.push_back({(fs::path(root) / "images" / (stem + ".png")).string(),
                     (fs::path(root) / "masks" / (stem + ".png")).string()});
  }
  if (pairs.empty()) throw DataError(list.string() + ": the split lists no scenes");
  return pairs;
}

}  // namespace vedkit
