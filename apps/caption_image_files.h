#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "apps/frame_captioner.h"

namespace vedkit {

struct ImageCaptionOptions {
  bool json = false;          // a JSON line per image instead of `path<TAB>caption`
  std::string attention_dir;  // per image, one attention map per word; "" for none
};

// Captions each file, printing a line per image to out. Unreadable files are reported on err
// and skipped; returns how many were.
int caption_image_files(FrameCaptioner& captioner, const std::vector<std::string>& files,
                        const ImageCaptionOptions& options, std::ostream& out, std::ostream& err);

}  // namespace vedkit
