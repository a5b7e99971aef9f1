#include "vision/io/image_bytes.h"

#include <jpeglib.h>
#include <zlib.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>

namespace vedkit {
namespace {

using Bytes = std::vector<unsigned char>;

uint32_t big_endian(const Bytes& b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

uint32_t big_endian16(const Bytes& b, size_t at) { return uint32_t{b[at]} << 8 | b[at + 1]; }

bool starts_with(const Bytes& b, std::initializer_list<unsigned char> prefix) {
  return b.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), b.begin());
}

// Every chunk's CRC, up to IEND.
std::string png_damage(const Bytes& b) {
  constexpr size_t kSignature = 8;
  for (size_t at = kSignature; at + 12 <= b.size();) {
    const uint32_t length = big_endian(b, at);
    const std::string type(b.begin() + at + 4, b.begin() + at + 8);
    if (length > b.size() - at - 12) break;  // runs past the end: cut short
    const uint32_t stored = big_endian(b, at + 8 + length);
    if (static_cast<uint32_t>(crc32(0, b.data() + at + 4, length + 4)) != stored) {
      return "a damaged PNG (its " + type + " chunk fails its CRC): use an intact copy";
    }
    if (type == "IEND") return "";
    at += 12 + length;
  }
  return "a truncated PNG (no IEND chunk at its end): the file is incomplete";
}

struct JpegReport {
  jpeg_error_mgr manager;
  std::jmp_buf fatal;
  char message[JMSG_LENGTH_MAX] = "";
};

void on_fatal(j_common_ptr info) {
  auto* report = reinterpret_cast<JpegReport*>(info->err);
  info->err->format_message(info, report->message);
  std::longjmp(report->fatal, 1);
}

// libjpeg's warnings (level -1) are the corrupt-data ones; the first is kept, none printed.
void on_message(j_common_ptr info, int level) {
  auto* report = reinterpret_cast<JpegReport*>(info->err);
  if (level < 0 && report->message[0] == '\0') info->err->format_message(info, report->message);
}

// Decodes the whole entropy-coded stream at 1/8 scale (every coefficient is still read, few
// are transformed) and reports libjpeg's first complaint.
std::string jpeg_damage(const Bytes& b) {
  const Bytes eoi = {0xFF, 0xD9};
  const auto tail = b.end() - static_cast<std::ptrdiff_t>(std::min<size_t>(32, b.size()));
  if (std::search(tail, b.end(), eoi.begin(), eoi.end()) == b.end()) {  // writers may pad after it
    return "a truncated JPEG (no end-of-image marker): the file is incomplete";
  }
  jpeg_decompress_struct info{};
  JpegReport report;
  info.err = jpeg_std_error(&report.manager);
  report.manager.error_exit = on_fatal;
  report.manager.emit_message = on_message;
  jpeg_create_decompress(&info);
  if (setjmp(report.fatal) == 0) {
    jpeg_mem_src(&info, b.data(), static_cast<unsigned long>(b.size()));
    jpeg_read_header(&info, TRUE);
    info.scale_num = 1;
    info.scale_denom = 8;
    info.dct_method = JDCT_IFAST;
    jpeg_start_decompress(&info);
    // From libjpeg's own pool, which jpeg_destroy frees: a longjmp would skip a destructor.
    JSAMPARRAY rows = (*info.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&info), JPOOL_IMAGE,
                                                info.output_width * info.output_components, 1);
    while (info.output_scanline < info.output_height && report.message[0] == '\0') {
      jpeg_read_scanlines(&info, rows, 1);
    }
    if (report.message[0] == '\0') jpeg_finish_decompress(&info);
  }
  jpeg_destroy_decompress(&info);
  if (report.message[0] == '\0') return "";
  return std::string("a corrupt JPEG (libjpeg: ") + report.message + "): use an intact copy";
}

}  // namespace

std::pair<uint64_t, uint64_t> header_size(const Bytes& b) {
  if (starts_with(b, {0x89, 'P', 'N', 'G'}) && b.size() >= 24) {
    return {big_endian(b, 16), big_endian(b, 20)};
  }
  if (starts_with(b, {0xFF, 0xD8})) {
    for (size_t at = 2; at + 9 < b.size() && b[at] == 0xFF;) {
      const unsigned char marker = b[at + 1];
      const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                         marker != 0xCC;
      if (frame) return {big_endian16(b, at + 7), big_endian16(b, at + 5)};
      if (marker == 0xDA) break;  // the scan starts: no frame header before it
      at += 2 + big_endian16(b, at + 2);
    }
  }
  return {0, 0};
}

std::string image_damage(const Bytes& bytes) {
  if (starts_with(bytes, {0x89, 'P', 'N', 'G'})) return png_damage(bytes);
  if (starts_with(bytes, {0xFF, 0xD8, 0xFF})) return jpeg_damage(bytes);
  return "";
}

}  // namespace vedkit
