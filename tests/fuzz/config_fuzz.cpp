// The config loader and the --set parser: the first line is one override, the rest YAML.
#include "core/config.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = vedkit::fuzz::as_text(data, size);
  const size_t line_end = text.find('\n');
  const std::string override = text.substr(0, line_end);
  const std::string yaml = line_end == std::string::npos ? "" : text.substr(line_end + 1);
  try {
    auto config = vedkit::Config::from_text(yaml, "fuzz.yaml", {override});
    config.to_yaml();
    config.check_all_keys_known();
  } catch (const vedkit::Error&) {
    // A clear refusal is the right answer to a bad config.
  }
  return 0;
}
