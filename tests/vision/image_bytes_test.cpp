#include "vision/io/image_bytes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

namespace vedkit {
namespace {

using Bytes = std::vector<unsigned char>;

Bytes encoded(const std::string& extension) {
  cv::Mat noise(48, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  Bytes bytes;
  cv::imencode(extension, noise, bytes);
  return bytes;
}

size_t position_of(const Bytes& bytes, const std::string& text) {
  return static_cast<size_t>(std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) -
                             bytes.begin());
}

TEST(ImageBytes, IntactFilesPassAndTellTheirSize) {
  for (const auto* extension : {".png", ".jpg"}) {
    const auto bytes = encoded(extension);
    EXPECT_EQ(image_damage(bytes), "") << extension;
    EXPECT_EQ(header_size(bytes), (std::pair<uint64_t, uint64_t>{64, 48})) << extension;
  }
  EXPECT_EQ(image_damage(encoded(".bmp")), "") << "another format: nothing to say";
}

TEST(ImageBytes, APngChunkFailingItsCrcIsNamed) {
  auto bytes = encoded(".png");
  bytes[position_of(bytes, "IDAT") + 20] ^= 0x5a;  // a byte of the compressed pixels
  EXPECT_EQ(image_damage(bytes), "a damaged PNG (its IDAT chunk fails its CRC): use an intact copy");
}

TEST(ImageBytes, CorruptJpegDataIsCaughtWithLibjpegsWords) {
  auto bytes = encoded(".jpg");
  // Bytes between the entropy-coded data and the end marker, which libjpeg only warns about.
  bytes.insert(bytes.end() - 2, {0x12, 0x34, 0x56});
  const auto damage = image_damage(bytes);
  EXPECT_EQ(damage.rfind("a corrupt JPEG (libjpeg: Corrupt JPEG data: ", 0), 0u) << damage;
  EXPECT_NE(damage.find("extraneous bytes before marker 0xd9"), std::string::npos) << damage;
}

TEST(ImageBytes, CutOffFilesAreTruncated) {
  const auto png = encoded(".png"), jpeg = encoded(".jpg");
  EXPECT_EQ(
      image_damage(Bytes(png.begin(), png.begin() + png.size() / 2)).rfind("a truncated PNG", 0),
      0u);
  EXPECT_EQ(image_damage(Bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2))
                .rfind("a truncated JPEG", 0),
            0u);
}

}  // namespace
}  // namespace vedkit
