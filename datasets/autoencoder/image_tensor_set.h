#pragma once

#include <ATen/core/Tensor.h>

#include <set>
#include <string>
#include <vector>

namespace vedkit {

// Images decoded once into one uint8 tensor [N, C, H, W] (RGB order): small enough in memory
// for the sets vedkit trains on (Fashion-MNIST: 47 MB; 10k 128x128 colour images: 0.5 GB),
// and batching is then an index_select.
struct ImageTensorSet {
  at::Tensor images;
  std::vector<std::string> paths;    // one per image; empty for Fashion-MNIST
  std::vector<std::string> skipped;  // "path: why", for files that could not be read
  at::Tensor labels;                 // [N] int64 where the set has classes (Fashion-MNIST)
};

// Every image under root (recursive; PNG, JPEG, BMP, TIFF, WebP; 8 or 16 bit; grey, colour
// or alpha) as `channels` channels, resized to cover height x width and centre-cropped. With
// list_file, only the images whose path relative to root, or whose file stem, is one of its
// lines. Unreadable files go to `skipped`; no readable image at all is a DataError.
ImageTensorSet load_image_folder(const std::string& root, const std::string& list_file,
                                 int64_t channels, int64_t height, int64_t width);

// The same for the given files (the apps' inputs).
ImageTensorSet load_image_files(const std::vector<std::string>& paths, int64_t channels,
                                int64_t height, int64_t width);

// Frames first, first + step, ... before end (-1: the last) of a video file, as
// load_image_folder brings images to channels x height x width. A file that cannot be read as
// a video, or has no frame in the range, is a DataError naming it.
ImageTensorSet load_video_frames(const std::string& path, int64_t first, int64_t end,
                                 int64_t step, int64_t channels, int64_t height, int64_t width);

// The lines of a list of images (paths or stems), trailing spaces and empty lines dropped; an
// unreadable file is a DataError naming it and key, the setting that named it.
std::set<std::string> read_name_list(const std::string& list_file, const std::string& key);

// A Fashion-MNIST split as [N, channels, height, width] (28x28 unless resized), with its
// labels; with classes, only the images of those classes (one-class anomaly detection).
ImageTensorSet load_fashion_mnist_images(const std::string& dir, const std::string& split,
                                         int64_t channels, int64_t height, int64_t width,
                                         const std::vector<int64_t>& classes = {});

}  // namespace vedkit
