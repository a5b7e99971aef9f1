#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config_tree.h"

namespace vedkit {

struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};

struct RealRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

class Config;

// A typed, strict view of one map in a config (`model.encoder`, `train`, ...). Every read
// records the key as known; a default that is used is written back, so the resolved config
// saved with a model shows every value the run used. Errors name file:line:col, the key path
// and what was expected.
class ConfigSection {
 public:
  int64_t get_int(const std::string& key, std::optional<int64_t> fallback, IntRange range = {});
  double get_real(const std::string& key, std::optional<double> fallback, RealRange range = {});
  bool get_bool(const std::string& key, std::optional<bool> fallback);
  std::string get_string(const std::string& key, std::optional<std::string> fallback,
                         const std::vector<std::string>& choices = {});
  std::vector<int64_t> get_ints(const std::string& key,
                                std::optional<std::vector<int64_t>> fallback,
                                IntRange range = {});
  std::vector<double> get_reals(const std::string& key,
                                std::optional<std::vector<double>> fallback,
                                RealRange range = {});
  std::vector<std::string> get_strings(const std::string& key,
                                       std::optional<std::vector<std::string>> fallback);

  // A nested map; created empty when absent.
  ConfigSection section(const std::string& key);
  // A list of maps (`losses: [{type: dice}, ...]`); empty when absent.
  std::vector<ConfigSection> sections(const std::string& key);
  bool has(const std::string& key) const;

  // Throws a ConfigError at key's position (or the section's when the key is absent).
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const;

 private:
  friend class Config;
  struct State;
  ConfigSection(std::shared_ptr<State> state, std::vector<std::string> steps, std::string path);

  ConfigNode& node() const;
  const ConfigNode* lookup(const std::string& key) const;  // marks the key as known
  const ConfigNode& store_default(const std::string& key, ConfigNode value);

  std::shared_ptr<State> state_;
  std::vector<std::string> steps_;  // from the root: map keys, or list indices as numbers
  std::string path_;
};

class Config {
 public:
  // Loads path (with its `base:` chain) and applies `a.b=value` overrides in order.
  static Config load(const std::string& path, const std::vector<std::string>& overrides = {});
  static Config from_text(const std::string& yaml, const std::string& name,
                          const std::vector<std::string>& overrides = {});

  ConfigSection root();
  ConfigSection section(const std::string& dotted_path);

  // Throws for the first key that no component read, suggesting the nearest known key.
  void check_all_keys_known() const;
  std::string to_yaml() const;
  const std::string& name() const;

 private:
  explicit Config(ConfigNode root, std::string name);
  std::shared_ptr<ConfigSection::State> state_;
};

// The known word nearest to word by edit distance, or "" when none is close.
std::string nearest_word(const std::string& word, const std::set<std::string>& known);

}  // namespace vedkit
