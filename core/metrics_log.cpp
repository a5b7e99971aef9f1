#include "core/metrics_log.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"

namespace vedkit {
namespace {

std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path) : path_(path) {
  const auto extension = std::filesystem::path(path).extension().string();
  if (extension != ".csv" && extension != ".jsonl") {
    throw ConfigError(path + ": metrics log must end in .csv or .jsonl");
  }
  csv_ = extension == ".csv";
  if (csv_ && std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    std::stringstream cells(header);
    for (std::string cell; std::getline(cells, cell, ',');) columns_.push_back(cell);
  }
}

void MetricsLog::write(const std::vector<std::pair<std::string, double>>& record) {
  std::ofstream out(path_, std::ios::app);
  if (!out) throw Error(path_ + ": cannot write the metrics log");
  if (!csv_) {
    out << "{";
    for (size_t i = 0; i < record.size(); ++i) {
      const auto value = number(record[i].second);
      out << (i ? ", " : "") << "\"" << record[i].first << "\": " << (value == "NaN" ? "null" : value);
    }
    out << "}\n";
    return;
  }
  if (columns_.empty()) {
    for (size_t i = 0; i < record.size(); ++i) {
      columns_.push_back(record[i].first);
      out << (i ? "," : "") << record[i].first;
    }
    out << "\n";
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    std::string cell;
    for (const auto& [key, value] : record) {
      if (key == columns_[i]) cell = number(value);
    }
    out << (i ? "," : "") << cell;
  }
  out << "\n";
}

}  // namespace vedkit
