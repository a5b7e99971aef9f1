#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace vedkit {

// A progress bar with rate and ETA when stdout is a terminal; otherwise a plain line about
// every tenth of the work (and at the end). Quiet prints nothing.
class Progress {
 public:
  Progress(std::string label, int64_t total, bool quiet = false);
  ~Progress();

  void advance(int64_t count = 1, const std::string& status = "");
  void finish(const std::string& status = "");

  static bool stdout_is_terminal();

 private:
  void draw(const std::string& status, bool final_line);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool quiet_;
  bool terminal_;
  bool finished_ = false;
  int64_t next_plain_report_ = 0;
  std::chrono::steady_clock::time_point start_;
};

std::string format_duration(double seconds);

}  // namespace vedkit
