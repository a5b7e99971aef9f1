#include "datasets/idx.h"

#include <gtest/gtest.h>
#include <torch/types.h>
#include <zlib.h>

#include <filesystem>

#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

// An unsigned-byte IDX file, written out byte by byte from the format's definition.
std::string idx_bytes(const std::vector<uint32_t>& sizes, const std::string& data) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(sizes.size())};
  for (uint32_t size : sizes) {
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>((size >> shift) & 0xFF));
  }
  return bytes + data;
}

std::string counting_data(size_t length) {
  std::string data(length, 0);
  for (size_t i = 0; i < length; ++i) data[i] = static_cast<char>(i * 7 % 256);
  return data;
}

std::string write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  return path;
}

std::string data_error(const std::string& path) {
  try {
    read_idx(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

void expect_counting_tensor(const at::Tensor& tensor) {
  ASSERT_EQ(tensor.sizes(), (std::vector<int64_t>{3, 300, 2}));
  EXPECT_EQ(tensor.scalar_type(), torch::kUInt8);
  // Element [i, j, k] is byte (i * 600 + j * 2 + k) of the data.
  EXPECT_EQ(tensor[0][0][1].item<int>(), 7);
  EXPECT_EQ(tensor[1][2][0].item<int>(), (604 * 7) % 256);
  EXPECT_EQ(tensor[2][299][1].item<int>(), (1799 * 7) % 256);
}

TEST(ReadIdx, ReadsRawFile) {
  TempDir dir;
  const auto path = dir.write("a-idx3-ubyte", idx_bytes({3, 300, 2}, counting_data(1800)));
  expect_counting_tensor(read_idx(path));
}

TEST(ReadIdx, ReadsGzipFile) {
  TempDir dir;
  const auto path =
      write_gzip(dir.file("a-idx3-ubyte.gz"), idx_bytes({3, 300, 2}, counting_data(1800)));
  ASSERT_LT(std::filesystem::file_size(path), 1800u) << "the test file should be compressed";
  expect_counting_tensor(read_idx(path));
}

TEST(ReadIdx, OneDimensionalLabels) {
  TempDir dir;
  const auto path = dir.write("l-idx1-ubyte", idx_bytes({4}, std::string("\x03\x00\x09\x01", 4)));
  const auto labels = read_idx(path);
  ASSERT_EQ(labels.sizes(), (std::vector<int64_t>{4}));
  EXPECT_EQ(labels[2].item<int>(), 9);
}

TEST(ReadIdx, TruncatedDataNamesBothSizes) {
  TempDir dir;
  const auto raw = dir.write("short-idx3-ubyte", idx_bytes({10, 28, 28}, counting_data(3920)));
  auto message = data_error(raw);
  EXPECT_NE(message.find(raw), std::string::npos) << message;
  EXPECT_NE(message.find("expected 7840 bytes of data, found 3920"), std::string::npos) << message;

  // A gzip stream cut short reads as truncated too, not as a crash or a zlib code.
  const auto full = write_gzip(dir.file("full.gz"), idx_bytes({10, 28, 28}, counting_data(7840)));
  std::string gz(std::filesystem::file_size(full), 0);
  std::ifstream(full, std::ios::binary).read(gz.data(), static_cast<std::streamsize>(gz.size()));
  const auto cut = dir.write("cut-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
  message = data_error(cut);
  EXPECT_NE(message.find(cut), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

// Found by fuzzing: 14 bytes whose header claims 4 GB were allocated before being read.
TEST(ReadIdx, AClaimBeyondWhatTheFileCanHoldIsRefusedBeforeAllocating) {
  TempDir dir;
  const auto raw = dir.write("claims-idx1-ubyte", idx_bytes({0xff020602u}, "dummy"));
  EXPECT_NE(data_error(raw).find("expected 4278322690 bytes of data, found 5"), std::string::npos)
      << data_error(raw);
  const auto gz = write_gzip(dir.file("claims.gz"), idx_bytes({0xff020602u}, "dummy"));
  EXPECT_NE(data_error(gz).find("declares 4278322690 bytes of data, more than its"),
            std::string::npos)
      << data_error(gz);
}

// Found by fuzzing: eight sizes near 2^32 overflowed the product before it was checked.
TEST(ReadIdx, SizesWhoseProductOverflowsAreRefused) {
  TempDir dir;
  const auto path = dir.write("huge-idx8-ubyte", idx_bytes(std::vector<uint32_t>(8, 0xe6e5e5ffu), ""));
  EXPECT_NE(data_error(path).find("declares more than"), std::string::npos) << data_error(path);
}

TEST(ReadIdx, TruncatedHeaderIsAnError) {
  TempDir dir;
  const auto path = dir.write("head-idx3-ubyte", std::string("\x00\x00\x08\x03\x00\x00", 6));
  EXPECT_NE(data_error(path).find("truncated"), std::string::npos) << data_error(path);
}

TEST(ReadIdx, BadMagicIsAnError) {
  TempDir dir;
  const auto path = dir.write("photo.png", "\x89PNG\r\n\x1a\n and more bytes");
  const auto message = data_error(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("is not an IDX file"), std::string::npos) << message;
  EXPECT_NE(message.find("89 50 4e 47"), std::string::npos) << message;
}

TEST(ReadIdx, OtherElementTypesAreRejected) {
  TempDir dir;
  std::string floats = idx_bytes({1}, std::string(4, 0));
  floats[2] = 0x0D;
  const auto path = dir.write("f-idx1-float", floats);
  const auto message = data_error(path);
  EXPECT_NE(message.find("32-bit floats (0x0D)"), std::string::npos) << message;
  EXPECT_NE(message.find("only unsigned-byte"), std::string::npos) << message;
}

TEST(ReadIdx, MissingFileIsAnError) {
  const auto message = data_error("/nonexistent/train-images-idx3-ubyte.gz");
  EXPECT_NE(message.find("'/nonexistent/train-images-idx3-ubyte.gz' does not exist"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace vedkit
