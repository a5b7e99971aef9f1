#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace vedkit::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, capturing its output and exit code.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The path of a program built in this build tree.
inline std::string app(const std::string& name) {
  return std::string(VEDKIT_BINARY_DIR) + "/apps/" + name;
}

}  // namespace vedkit::testing
