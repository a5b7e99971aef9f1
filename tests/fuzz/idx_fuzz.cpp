// The IDX reader (Fashion-MNIST's files), plain and gzip'd.
#include "core/error.h"
#include "datasets/idx.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vedkit::read_idx(vedkit::fuzz::as_file(data, size, "-images-idx3-ubyte.gz"));
  } catch (const vedkit::Error&) {
  }
  return 0;
}
