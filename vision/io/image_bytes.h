#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vedkit {

// What an image file's bytes tell before it is decoded.

// Width and height from a PNG's IHDR or a JPEG's frame header; {0, 0} for other formats or
// where the header is not there.
std::pair<uint64_t, uint64_t> header_size(const std::vector<unsigned char>& bytes);

// What is wrong with an image file's bytes that its decoder would let pass with a warning on
// stderr, or report only there: a PNG or JPEG cut short, a PNG chunk that fails its CRC, JPEG
// data that libjpeg finds corrupt (it fills the damage in grey). "" where nothing is found or
// the format is another. PIL, what most users know, refuses such files too.
std::string image_damage(const std::vector<unsigned char>& bytes);

}  // namespace vedkit
