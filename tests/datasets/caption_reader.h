#pragma once

#include <string>
#include <vector>

#include "datasets/fashion_mnist.h"

namespace vedkit::testing {

// Reads a scene caption back into the labels it names, in order, written independently of the
// caption code: phrases split at " and ", pairs at a relation, each name after "a " or "an ".
// A word that is no class name gives label -1.
inline std::vector<int64_t> labels_named_in(const std::string& caption) {
  std::vector<std::string> phrases;
  for (size_t start = 0;;) {
    const size_t end = caption.find(" and ", start);
    phrases.push_back(caption.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 5;
  }
  std::vector<std::string> nouns;
  for (const auto& phrase : phrases) {
    bool paired = false;
    for (const std::string relation :
         {" to the left of ", " to the right of ", " above ", " below "}) {
      const size_t at = phrase.find(relation);
      if (at == std::string::npos) continue;
      nouns.push_back(phrase.substr(0, at));
      nouns.push_back(phrase.substr(at + relation.size()));
      paired = true;
      break;
    }
    if (!paired) nouns.push_back(phrase);
  }
  std::vector<int64_t> labels;
  const auto& names = fashion_mnist_classes();
  for (const auto& noun : nouns) {
    int64_t label = -1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (noun == "a " + names[i] || noun == "an " + names[i]) label = static_cast<int64_t>(i);
    }
    labels.push_back(label);
  }
  return labels;
}

}  // namespace vedkit::testing
