#pragma once

#include <stdexcept>
#include <string>

namespace vedkit {

// Every error a user can cause (bad config, bad file, bad argument) is a vedkit::Error whose
// message is one line naming the thing and what to do. Apps print what() and exit non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigError : public Error {
 public:
  using Error::Error;
};

class ModelFileError : public Error {
 public:
  using Error::Error;
};

class DataError : public Error {
 public:
  using Error::Error;
};

}  // namespace vedkit
