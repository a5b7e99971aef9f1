#include "datasets/idx.h"

#include <torch/types.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/error.h"

namespace vedkit {
namespace {

// A corrupt header could claim terabytes; no IDX file we read comes near this.
constexpr int64_t kMaxDataBytes = int64_t{1} << 34;

struct GzClose {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

// Reads up to size bytes; returns how many were read. gzread takes an unsigned int length.
int64_t read_some(gzFile file, const std::string& path, uint8_t* out, int64_t size) {
  int64_t done = 0;
  while (done < size) {
    const auto chunk = static_cast<unsigned>(std::min<int64_t>(size - done, int64_t{1} << 30));
    const int got = gzread(file, out + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw DataError("cannot read IDX file '" + path + "': " + message);
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

DataError truncated(const std::string& path, int64_t expected, int64_t found) {
  return DataError("'" + path + "' is truncated: expected " + std::to_string(expected) +
                   " bytes of data, found " + std::to_string(found) + "; download it again");
}

std::string type_name(uint8_t code) {
  switch (code) {
    case 0x09:
      return "signed bytes (0x09)";
    case 0x0B:
      return "16-bit integers (0x0B)";
    case 0x0C:
      return "32-bit integers (0x0C)";
    case 0x0D:
      return "32-bit floats (0x0D)";
    case 0x0E:
      return "64-bit floats (0x0E)";
    default: {
      char text[32];
      std::snprintf(text, sizeof text, "unknown type 0x%02X", code);
      return text;
    }
  }
}

}  // namespace

at::Tensor read_idx(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw DataError("IDX file '" + path + "' does not exist; check the path");
  }
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) {
    throw DataError("cannot open IDX file '" + path + "': " + std::strerror(errno));
  }

  uint8_t magic[4];
  if (read_some(file.get(), path, magic, 4) < 4) {
    throw DataError("'" + path + "' is too short to be an IDX file");
  }
  if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0) {
    char bytes[16];
    std::snprintf(bytes, sizeof bytes, "%02x %02x %02x %02x", magic[0], magic[1], magic[2],
                  magic[3]);
    throw DataError("'" + path + "' is not an IDX file: it starts with " + bytes +
                    ", expected 00 00 <type> <dims>");
  }
  if (magic[2] != 0x08) {
    throw DataError("'" + path + "' holds " + type_name(magic[2]) +
                    "; only unsigned-byte IDX files (0x08) are supported");
  }

  const int dims = magic[3];
  std::vector<uint8_t> header(4 * dims);
  if (read_some(file.get(), path, header.data(), 4 * dims) < 4 * dims) {
    throw DataError("'" + path + "' is truncated: its header declares " + std::to_string(dims) +
                    " dimensions but ends before their sizes");
  }
  std::vector<int64_t> sizes(dims);
  int64_t expected = 1;
  for (int d = 0; d < dims; ++d) {
    const uint8_t* b = &header[4 * d];
    sizes[d] = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    // Checked before multiplying: two 32-bit sizes past the limit overflow 64 bits.
    if (sizes[d] > 0 && expected > kMaxDataBytes / sizes[d]) {
      throw DataError("'" + path + "' declares more than " + std::to_string(kMaxDataBytes) +
                      " bytes of data; the header is corrupt");
    }
    expected *= sizes[d];
  }

  // Before allocating what the header claims, what the file can hold: an uncompressed one its
  // size less the header; a gzip'd one at most 1032 times its size (deflate's largest ratio).
  const auto on_disk = static_cast<int64_t>(std::filesystem::file_size(path));
  const bool uncompressed = gzdirect(file.get());
  if (uncompressed && expected > on_disk - 4 - 4 * dims) {
    throw truncated(path, expected, on_disk - 4 - 4 * dims);
  }
  if (!uncompressed && expected > on_disk * 1032) {
    throw DataError("'" + path + "' declares " + std::to_string(expected) +
                    " bytes of data, more than its " + std::to_string(on_disk) +
                    " compressed bytes can hold; it is truncated or its header is corrupt");
  }
  auto data = torch::empty(sizes, torch::kUInt8);
  const int64_t found = read_some(file.get(), path, data.data_ptr<uint8_t>(), expected);
  if (found < expected) throw truncated(path, expected, found);
  return data;
}

}  // namespace vedkit
