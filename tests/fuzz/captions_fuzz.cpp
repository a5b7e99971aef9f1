// The caption-file readers: COCO JSON, Flickr8k tokens and TSV, chosen as read_captions does.
#include "core/error.h"
#include "datasets/captions/caption_files.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the file's name: .json is read as COCO, anything else by its lines.
  const std::string suffix = data[0] % 2 == 0 ? "-captions.json" : "-captions.txt";
  try {
    vedkit::read_captions(vedkit::fuzz::as_file(data + 1, size - 1, suffix), "images");
  } catch (const vedkit::Error&) {
  }
  return 0;
}
