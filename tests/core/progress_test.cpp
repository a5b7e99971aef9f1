#include "core/progress.h"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

namespace vedkit {
namespace {

// Captures std::cout for the lifetime of the object.
class CaptureStdout {
 public:
  CaptureStdout() : previous_(std::cout.rdbuf(buffer_.rdbuf())) {}
  ~CaptureStdout() { std::cout.rdbuf(previous_); }
  std::string text() const { return buffer_.str(); }

 private:
  std::stringstream buffer_;
  std::streambuf* previous_;
};

TEST(Progress, PlainOutputReportsAboutEveryTenthAndTheEnd) {
  ASSERT_FALSE(Progress::stdout_is_terminal()) << "run the tests with stdout redirected";
  CaptureStdout capture;
  {
    Progress progress("train", 100);
    for (int i = 0; i < 100; ++i) progress.advance(1, "loss 0.5");
    progress.finish("done");
  }
  const auto text = capture.text();
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_GE(lines, 10u);
  EXPECT_LE(lines, 12u);
  EXPECT_NE(text.find("100/100"), std::string::npos) << text;
  EXPECT_NE(text.find("done"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no bar drawing when not a terminal";
}

TEST(Progress, QuietPrintsNothing) {
  CaptureStdout capture;
  {
    Progress progress("train", 10, true);
    progress.advance(10);
    progress.finish();
  }
  EXPECT_EQ(capture.text(), "");
}

TEST(FormatDuration, MinutesAndHours) {
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3725), "1:02:05");
}

}  // namespace
}  // namespace vedkit
