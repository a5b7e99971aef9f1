#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace vedkit::testing {

// Starts argv[0] with these arguments and extra environment variables, its stdout and stderr
// appended to log; returns its process id.
inline pid_t start_process(const std::vector<std::string>& argv_strings, const std::string& log,
                           const std::vector<std::pair<std::string, std::string>>& environment = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    for (const auto& [name, value] : environment) setenv(name.c_str(), value.c_str(), 1);
    std::vector<std::string> copies = argv_strings;
    std::vector<char*> argv;
    for (auto& s : copies) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace vedkit::testing
