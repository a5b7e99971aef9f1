#include "core/model_file_records.h"

#include <c10/util/Exception.h>
#include <caffe2/serialize/crc_alt.h>  // defines its functions: include it in this file only
#include <caffe2/serialize/inline_container.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace vedkit {
namespace {

ModelFileError corrupt(const std::string& path, const std::string& what) {
  return ModelFileError(path + ": truncated or corrupt model file (" + what +
                        "); use an intact copy");
}

// The zip format's little-endian fields and record signatures (PKWARE's APPNOTE.TXT).
uint64_t field(const std::string& bytes, size_t at, int width, const std::string& path) {
  if (at + width > bytes.size()) throw corrupt(path, "its zip directory is cut short");
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50,
                   kZip64Locator = 0x07064b50, kDirectoryEntry = 0x02014b50;
constexpr size_t kEndSize = 22, kLocatorSize = 20, kZip64EndSize = 56, kEntrySize = 46;
constexpr size_t kLongestComment = 0xffff;

std::string read_span(std::ifstream& in, uint64_t offset, uint64_t size, uint64_t file_size,
                      const std::string& path) {
  if (offset > file_size || size > file_size - offset) {
    throw corrupt(path, "its zip directory points past its end");
  }
  std::string bytes(size, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) {
    throw ModelFileError(path + ": cannot read the model file; check the disk");
  }
  return bytes;
}

struct DirectoryEntry {
  std::string name;
  uint32_t crc;
  uint64_t size;  // uncompressed
};

// An entry's uncompressed size: its own field, or, where that overflows (0xffffffff), the
// zip64 extra field's first value.
uint64_t uncompressed_size(const std::string& listing, size_t entry, size_t extra_at,
                           size_t extra_size, const std::string& path) {
  const uint64_t size = field(listing, entry + 24, 4, path);
  if (size != 0xffffffff) return size;
  for (size_t at = extra_at; at + 4 <= extra_at + extra_size;) {
    const uint64_t id = field(listing, at, 2, path), length = field(listing, at + 2, 2, path);
    if (id == 0x0001) return field(listing, at + 4, 8, path);
    at += 4 + length;
  }
  throw corrupt(path, "a record's zip64 size is missing");
}

// The central directory: where it is (zip64 where the plain fields overflow), then each
// record's name and CRC-32.
std::vector<DirectoryEntry> directory(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ModelFileError(path + ": cannot open model file; check the path");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  const uint64_t tail_size = std::min<uint64_t>(file_size, kEndSize + kLongestComment);
  const std::string tail = read_span(in, file_size - tail_size, tail_size, file_size, path);
  size_t end = std::string::npos;
  for (size_t at = tail.size() >= kEndSize ? tail.size() - kEndSize + 1 : 0; at-- > 0;) {
    if (field(tail, at, 4, path) == kEndOfDirectory) {
      end = at;
      break;
    }
  }
  if (end == std::string::npos) throw corrupt(path, "no zip directory at its end");
  uint64_t entries = field(tail, end + 10, 2, path);
  uint64_t size = field(tail, end + 12, 4, path);
  uint64_t offset = field(tail, end + 16, 4, path);
  if (entries == 0xffff || size == 0xffffffff || offset == 0xffffffff) {
    if (end < kLocatorSize || field(tail, end - kLocatorSize, 4, path) != kZip64Locator) {
      throw corrupt(path, "its zip64 directory is missing");
    }
    const uint64_t at = field(tail, end - kLocatorSize + 8, 8, path);
    const std::string zip64 = read_span(in, at, kZip64EndSize, file_size, path);
    if (field(zip64, 0, 4, path) != kZip64End) throw corrupt(path, "its zip64 directory is missing");
    entries = field(zip64, 32, 8, path);
    size = field(zip64, 40, 8, path);
    offset = field(zip64, 48, 8, path);
  }
  const std::string listing = read_span(in, offset, size, file_size, path);
  std::vector<DirectoryEntry> result;
  size_t at = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (field(listing, at, 4, path) != kDirectoryEntry) {
      throw corrupt(path, "its zip directory is garbled");
    }
    const auto crc = static_cast<uint32_t>(field(listing, at + 16, 4, path));
    const size_t name_size = field(listing, at + 28, 2, path);
    const size_t extra_size = field(listing, at + 30, 2, path);
    const size_t comment_size = field(listing, at + 32, 2, path);
    field(listing, at + kEntrySize + name_size - 1, 1, path);  // the name lies within
    const uint64_t size =
        uncompressed_size(listing, at, at + kEntrySize + name_size, extra_size, path);
    result.push_back({listing.substr(at + kEntrySize, name_size), crc, size});
    at += kEntrySize + name_size + extra_size + comment_size;
  }
  return result;
}

}  // namespace

std::string one_line_reason(const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = torch_error ? torch_error->what_without_backtrace() : e.what();
  return text.substr(0, std::min<size_t>(text.find('\n'), 120));
}

std::vector<DamagedRecord> damaged_records(const std::string& path) {
  const auto entries = directory(path);
  // A size no record of this file can have (deflate expands at most 1032:1) is damage found
  // before torch's reader allocates it.
  const uint64_t largest = std::filesystem::file_size(path) * 1032;
  std::vector<DamagedRecord> oversized;
  for (const auto& entry : entries) {
    if (entry.size > largest) {
      oversized.push_back({entry.name.substr(entry.name.find('/') + 1), "", true});
    }
  }
  if (!oversized.empty()) return oversized;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception& e) {
    throw corrupt(path, one_line_reason(e));
  }
  std::vector<DamagedRecord> damaged;
  for (const auto& entry : entries) {
    // torch names records inside a folder named after the archive, and reads them without it.
    const size_t slash = entry.name.find('/');
    if (slash == std::string::npos || entry.name.back() == '/') continue;
    const std::string name = entry.name.substr(slash + 1);
    try {
      const auto [data, size] = reader->getRecord(name);
      const auto* bytes = static_cast<const char*>(data.get());
      if (crc32_fast(bytes, size) != entry.crc) {
        damaged.push_back({name, std::string(bytes, size), false});
      }
    } catch (const std::exception&) {
      damaged.push_back({name, "", false});  // a compressed record that no longer inflates
    }
  }
  return damaged;
}

}  // namespace vedkit
