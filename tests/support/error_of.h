#pragma once

#include <string>

#include "core/error.h"

namespace vedkit::testing {

// Runs body and returns the message of the E it throws ("" when none).
template <typename E = Error, typename Body>
std::string error_of(Body body) {
  try {
    body();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace vedkit::testing
