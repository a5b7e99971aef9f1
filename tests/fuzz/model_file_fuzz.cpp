// The model-file reader: the zip directory's checksums, torch's archive, the contents.
#include "core/error.h"
#include "core/model_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto file = vedkit::ModelFile::open(vedkit::fuzz::as_file(data, size, ".vdk"));
    file.task();
    file.model_config();
  } catch (const vedkit::Error&) {
  }
  return 0;
}
