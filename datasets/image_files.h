#pragma once

#include <string>
#include <vector>

namespace vedkit {

// True for the extensions vedkit reads as images: PNG, JPEG, BMP, TIFF, WebP (any case).
bool is_image_file_name(const std::string& path);

// Image files under dir (recursive), sorted. A missing folder is a DataError.
std::vector<std::string> list_images(const std::string& dir);

// Expands command-line inputs: a file is kept as given (whatever its extension, so a bad
// file is reported, not silently dropped), a folder becomes its images, and a pattern with
// * ? [ is globbed. An input that matches nothing is a DataError naming it.
std::vector<std::string> expand_image_inputs(const std::vector<std::string>& inputs);

// An output name per file: its stem, with _2, _3, ... added where stems repeat.
std::vector<std::string> unique_stems(const std::vector<std::string>& files);

}  // namespace vedkit
