#pragma once
// Shared by the fuzz harnesses: most readers take a path, so each input becomes a file.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

namespace vedkit::fuzz {

// A file the process removes as it exits.
struct ScratchFile {
  std::string path;
  ~ScratchFile() { std::remove(path.c_str()); }
};

// data written to one file per harness process and suffix (in /dev/shm where there is one:
// a harness writes it thousands of times a second); the path ends in `suffix`.
inline std::string as_file(const uint8_t* data, size_t size, const std::string& suffix) {
  static const std::string folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  static std::map<std::string, ScratchFile> files;
  auto& file = files[suffix];
  if (file.path.empty()) file.path = folder + "/vedkit-fuzz-" + std::to_string(::getpid()) + suffix;
  std::ofstream(file.path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return file.path;
}

inline std::string as_text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace vedkit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
