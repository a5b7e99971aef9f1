#include "datasets/image_files.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"

namespace fs = std::filesystem;

namespace vedkit {

bool is_image_file_name(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  static const std::vector<std::string> known = {".png", ".jpg",  ".jpeg", ".bmp",
                                                 ".tif", ".tiff", ".webp"};
  return std::find(known.begin(), known.end(), extension) != known.end();
}

std::vector<std::string> list_images(const std::string& dir) {
  if (!fs::is_directory(dir)) throw DataError(dir + ": no such folder");
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && is_image_file_name(entry.path().string())) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> expand_image_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      const auto found = list_images(input);
      if (found.empty()) throw DataError(input + ": no images (PNG, JPEG, BMP, TIFF, WebP) in the folder");
      files.insert(files.end(), found.begin(), found.end());
    } else if (input.find_first_of("*?[") != std::string::npos) {
      glob_t matches{};
      const int status = glob(input.c_str(), 0, nullptr, &matches);
      for (size_t i = 0; status == 0 && i < matches.gl_pathc; ++i) {
        if (fs::is_regular_file(matches.gl_pathv[i])) files.push_back(matches.gl_pathv[i]);
      }
      globfree(&matches);
      if (status != 0) throw DataError(input + ": the pattern matches no file");
    } else {
      files.push_back(input);  // a missing or bad file is reported when it is read
    }
  }
  return files;
}

std::vector<std::string> unique_stems(const std::vector<std::string>& files) {
  std::set<std::string> taken;
  std::vector<std::string> names;
  for (const auto& file : files) {
    const std::string stem = std::filesystem::path(file).stem().string();
    std::string name = stem;
    for (int n = 2; !taken.insert(name).second; ++n) name = stem + "_" + std::to_string(n);
    names.push_back(name);
  }
  return names;
}

}  // namespace vedkit
