#include "datasets/captions/caption_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/error.h"

namespace fs = std::filesystem;

namespace vedkit {
namespace {

std::ifstream open_caption_file(const std::string& path) {
  if (!fs::is_regular_file(path)) throw DataError(path + ": no such caption file; check the path");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot be read; check its permissions");
  return in;
}

std::string image_path(const std::string& caption_file, const std::string& image_dir,
                       const std::string& name) {
  const fs::path dir =
      image_dir.empty() ? fs::path(caption_file).parent_path() : fs::path(image_dir);
  return (dir / name).string();
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Captions grouped by image, images in the order they first appear.
class CaptionCollector {
 public:
  void add(const std::string& image, std::string caption) {
    const auto [found, added] = index_.emplace(image, images_.size());
    if (added) images_.push_back({image, {}, {}});
    images_[found->second].captions.push_back(std::move(caption));
  }
  std::vector<CaptionedImage> take(const std::string& path) {
    if (images_.empty()) throw DataError(path + ": no captions in the file");
    return std::move(images_);
  }

 private:
  std::unordered_map<std::string, size_t> index_;
  std::vector<CaptionedImage> images_;
};

// "image<TAB>caption" lines; Flickr8k's image names end in "#<caption number>".
std::vector<CaptionedImage> read_tab_lines(const std::string& path, const std::string& image_dir,
                                           bool numbered) {
  auto in = open_caption_file(path);
  CaptionCollector images;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (trimmed(line).empty()) continue;
    const auto where = path + ":" + std::to_string(number);
    const auto tab = line.find('\t');
    if (tab == std::string::npos) {
      throw DataError(where +
                      ": no tab between the image and the caption; write 'image<TAB>caption'");
    }
    std::string image = trimmed(line.substr(0, tab));
    if (numbered && image.rfind('#') != std::string::npos) image.resize(image.rfind('#'));
    const std::string caption = trimmed(line.substr(tab + 1));
    if (image.empty()) throw DataError(where + ": no image name before the tab");
    if (caption.empty()) throw DataError(where + ": no caption after the tab");
    images.add(image_path(path, image_dir, image), caption);
  }
  return images.take(path);
}

// Fields of a COCO captions file, with errors that name the field.
class CocoFields {
 public:
  explicit CocoFields(std::string path) : path_(std::move(path)) {}

  const nlohmann::json& list(const nlohmann::json& root, const std::string& key) const {
    if (!root.is_object() || !root.contains(key) || !root[key].is_array())
      fail(key, "is missing or not a list");
    return root[key];
  }
  int64_t integer(const nlohmann::json& object, const std::string& where, const char* key) const {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number_integer()) {
      fail(where + "." + key, "is missing or not an integer");
    }
    return object[key].get<int64_t>();
  }
  std::string text(const nlohmann::json& object, const std::string& where, const char* key) const {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
      fail(where + "." + key, "is missing or not a string");
    }
    return object[key].get<std::string>();
  }
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw DataError(path_ + ": " + field + " " + problem +
                    "; a COCO captions file has images [{id, file_name}] and annotations "
                    "[{image_id, caption}]");
  }

 private:
  std::string path_;
};

bool ends_in_caption_number(const std::string& image) {
  const auto hash = image.rfind('#');
  return hash != std::string::npos && hash + 1 < image.size() &&
         std::all_of(image.begin() + hash + 1, image.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::vector<CaptionedImage> read_coco_captions(const std::string& json_path,
                                               const std::string& image_dir) {
  auto in = open_caption_file(json_path);
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number out of range
    throw DataError(json_path + ": not valid JSON (" + e.what() + "); is the download complete?");
  }
  const CocoFields fields(json_path);
  std::unordered_map<int64_t, std::string> file_names;
  std::vector<int64_t> image_order;
  const auto& images = fields.list(root, "images");
  for (size_t i = 0; i < images.size(); ++i) {
    const auto where = "images[" + std::to_string(i) + "]";
    const int64_t id = fields.integer(images[i], where, "id");
    if (!file_names.emplace(id, fields.text(images[i], where, "file_name")).second) {
      fields.fail(where + ".id", std::to_string(id) + " repeats an earlier image's id");
    }
    image_order.push_back(id);
  }
  std::unordered_map<int64_t, std::vector<std::string>> captions;
  const auto& annotations = fields.list(root, "annotations");
  for (size_t i = 0; i < annotations.size(); ++i) {
    const auto where = "annotations[" + std::to_string(i) + "]";
    const int64_t id = fields.integer(annotations[i], where, "image_id");
    if (!file_names.count(id)) {
      fields.fail(where + ".image_id", std::to_string(id) +
                                           " is no image's id (is the file cut short, or are "
                                           "the images from another split?)");
    }
    captions[id].push_back(trimmed(fields.text(annotations[i], where, "caption")));
  }
  std::vector<CaptionedImage> out;
  for (const int64_t id : image_order) {
    const auto found = captions.find(id);
    if (found == captions.end()) continue;
    out.push_back({image_path(json_path, image_dir, file_names[id]), std::move(found->second), id});
  }
  if (out.empty()) throw DataError(json_path + ": no captions in the file (annotations is empty)");
  return out;
}

std::vector<CaptionedImage> read_flickr8k_captions(const std::string& token_file,
                                                   const std::string& image_dir) {
  return read_tab_lines(token_file, image_dir, true);
}

std::vector<CaptionedImage> read_caption_tsv(const std::string& tsv_path,
                                             const std::string& image_dir) {
  return read_tab_lines(tsv_path, image_dir, false);
}

std::vector<CaptionedImage> read_captions(const std::string& path, const std::string& image_dir) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  if (extension == ".json") return read_coco_captions(path, image_dir);
  auto in = open_caption_file(path);
  std::string line;
  while (std::getline(in, line) && trimmed(line).empty()) {
  }
  const bool flickr = ends_in_caption_number(trimmed(line.substr(0, line.find('\t'))));
  return read_tab_lines(path, image_dir, flickr);
}

}  // namespace vedkit
