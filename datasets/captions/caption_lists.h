#pragma once

#include <string>
#include <vector>

#include "datasets/captions/caption_files.h"

namespace vedkit {

// The images that list_file names, one a line, by file stem ("000123") or by path relative to
// the image folder ("images/000123.png"), in their order in images. A list that names none of
// them is a DataError naming it and key, the setting or option that gave it.
std::vector<CaptionedImage> keep_listed(const std::vector<CaptionedImage>& images,
                                        const std::string& list_file, const std::string& key);

// The images whose paths are in loaded_paths, the readable subset of them that load_image_files
// returns in the same order.
std::vector<CaptionedImage> keep_loaded(const std::vector<CaptionedImage>& images,
                                        const std::vector<std::string>& loaded_paths);

}  // namespace vedkit
