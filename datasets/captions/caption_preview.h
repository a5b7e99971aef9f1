#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace vedkit {

// Images [B, C, H, W] in [0, 1] as one PNG, four to a row, each with its caption wrapped in a
// white panel under it. Tiles are enlarged (nearest neighbours) to at least 192 pixels wide
// so that the text fits.
void write_caption_grid(const std::string& path, const at::Tensor& images,
                        const std::vector<std::string>& captions);

}  // namespace vedkit
