#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace vedkit::testing {

// One column of a training run's metrics.csv, by its header name, as numbers.
inline std::vector<double> metrics_column(const std::string& csv_path, const std::string& name) {
  std::ifstream in(csv_path);
  std::string header;
  std::getline(in, header);
  std::stringstream header_cells(header);
  size_t index = 0;
  for (std::string cell; std::getline(header_cells, cell, ',') && cell != name;) ++index;
  std::vector<double> values;
  for (std::string line; std::getline(in, line);) {
    std::stringstream cells(line);
    std::string cell;
    for (size_t i = 0; i <= index; ++i) std::getline(cells, cell, ',');
    values.push_back(std::stod(cell));
  }
  return values;
}

}  // namespace vedkit::testing
