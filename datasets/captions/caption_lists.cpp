#include "datasets/captions/caption_lists.h"

#include <filesystem>

#include "core/error.h"
#include "datasets/autoencoder/image_tensor_set.h"

namespace vedkit {

std::vector<CaptionedImage> keep_listed(const std::vector<CaptionedImage>& images,
                                        const std::string& list_file, const std::string& key) {
  const auto names = read_name_list(list_file, key);
  auto listed = [&](const std::string& path) {
    if (names.count(std::filesystem::path(path).stem().string())) return true;
    // A relative path names the image whose path ends with it.
    for (auto slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      if (names.count(path.substr(slash + 1))) return true;
    }
    return names.count(path) > 0;
  };
  std::vector<CaptionedImage> kept;
  for (const auto& image : images) {
    if (listed(image.image_path)) kept.push_back(image);
  }
  if (kept.empty()) {
    throw DataError(list_file + ": names none of the " + std::to_string(images.size()) +
                    " captioned images (" + key + "); list their file stems or relative paths");
  }
  return kept;
}

std::vector<CaptionedImage> keep_loaded(const std::vector<CaptionedImage>& images,
                                        const std::vector<std::string>& loaded_paths) {
  std::vector<CaptionedImage> kept;
  for (const auto& image : images) {
    if (kept.size() < loaded_paths.size() && loaded_paths[kept.size()] == image.image_path) {
      kept.push_back(image);
    }
  }
  return kept;
}

}  // namespace vedkit
