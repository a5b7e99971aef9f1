// The image-decoding wrapper: OpenCV's decoders behind the pixel limit and the checks for
// truncated PNG and JPEG data.
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "vision/io/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vedkit::read_image_unchanged(vedkit::fuzz::as_file(data, size, ".img"));
  } catch (const vedkit::Error&) {
  }
  return 0;
}
