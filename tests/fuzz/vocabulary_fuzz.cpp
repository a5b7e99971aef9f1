// A model file's vocabulary (one entry a line) back into a tokenizer, which then encodes and
// decodes a caption.
#include <sstream>
#include <vector>

#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream lines(vedkit::fuzz::as_text(data, size));
  std::vector<std::string> vocabulary;
  for (std::string line; std::getline(lines, line);) vocabulary.push_back(line);
  try {
    const auto tokenizer = vedkit::tokenizer_from_vocabulary(vocabulary);
    const auto ids = tokenizer->encode("a red shirt left of two sneakers, unseen-word!");
    tokenizer->decode(ids);
  } catch (const vedkit::Error&) {
  }
  return 0;
}
