#pragma once

#include <exception>
#include <string>
#include <vector>

namespace vedkit {

// A record of a model file (a zip archive, the way torch writes one) whose content does not
// match the CRC-32 that the archive's directory holds for it.
struct DamagedRecord {
  std::string name;     // within the archive: "data/17", "data.pkl"
  std::string content;  // as read back, to tell which tensor it holds
  bool oversized;       // its size is more than the file could hold: it was not read
};

// Every record of the model file at path checked against its CRC-32; or, where the zip
// directory gives a record a size the file could not hold, those records, unread. torch's reader skips
// that check, so without it a flipped byte in a weight loads silently. Every model file vedkit
// has written carries the CRCs (the zip format's own), the bundled ones included. A directory
// that cannot be read is a ModelFileError naming the file.
std::vector<DamagedRecord> damaged_records(const std::string& path);

// What a reader's exception says, in one short line (c10::Error's without its backtrace).
std::string one_line_reason(const std::exception& e);

}  // namespace vedkit
