#pragma once

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace vedkit {

// Appends one record per epoch to a CSV file (header from the first record's keys) or a
// JSON-lines file, chosen by the extension (.csv or .jsonl). Appending lets --resume continue
// the same log.
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path);
  void write(const std::vector<std::pair<std::string, double>>& record);

 private:
  std::string path_;
  bool csv_;
  std::vector<std::string> columns_;
};

}  // namespace vedkit
