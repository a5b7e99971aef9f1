#include "core/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace vedkit {

std::string format_duration(double seconds) {
  const auto total = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return text;
}

bool Progress::stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }

Progress::Progress(std::string label, int64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      quiet_(quiet),
      terminal_(stdout_is_terminal()),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (!finished_ && terminal_ && !quiet_ && done_ > 0) std::cout << "\n" << std::flush;
}

void Progress::advance(int64_t count, const std::string& status) {
  done_ += count;
  if (quiet_) return;
  if (terminal_) {
    draw(status, false);
  } else if (done_ >= next_plain_report_ && done_ < total_) {
    draw(status, true);
    next_plain_report_ = done_ + std::max<int64_t>(1, total_ / 10);
  }
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (quiet_) return;
  draw(status, true);
}

void Progress::draw(const std::string& status, bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : 0.0;
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, "%lld/%lld %.1f/s", static_cast<long long>(done_),
                static_cast<long long>(total_), rate);
  std::string line = label_ + " ";
  if (terminal_) {
    constexpr int kWidth = 24;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
  }
  line += numbers;
  line += done_ < total_ ? " ETA " + format_duration(eta) : " in " + format_duration(elapsed);
  if (!status.empty()) line += " " + status;
  if (terminal_) {
    std::cout << "\r\033[K" << line << (final_line ? "\n" : "") << std::flush;
  } else {
    std::cout << line << "\n" << std::flush;
  }
}

}  // namespace vedkit
