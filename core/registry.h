#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"

namespace vedkit {

// Maps a config's `type:` name to a factory. Each component family keeps one registry,
// filled in one place, so a new component is one file pair plus one line there.
template <typename Product, typename... Args>
class Registry {
 public:
  using Factory = std::function<Product(ConfigSection&, Args...)>;

  Registry& add(const std::string& name, Factory factory) {
    factories_[name] = std::move(factory);
    return *this;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : factories_) out.push_back(entry.first);
    return out;
  }

  // Reads `type` from section (an unknown name suggests the nearest) and builds it.
  Product build(ConfigSection& section, Args... args) const {
    const std::string type = section.get_string("type", std::nullopt, names());
    return factories_.at(type)(section, std::forward<Args>(args)...);
  }

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace vedkit
