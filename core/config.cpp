#include "core/config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.h"

namespace vedkit {

struct ConfigSection::State {
  ConfigNode root;
  std::string name;
  std::set<std::string> known;  // dotted paths of every key a component read
};

namespace {

const ConfigSource kDefaultSource{"(default)", 0, 0};

std::string join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string describe(const ConfigNode& node) {
  switch (node.kind) {
    case ConfigNode::Kind::Null:
      return "nothing";
    case ConfigNode::Kind::Scalar:
      return "'" + node.scalar + "'";
    case ConfigNode::Kind::Sequence:
      return "a list";
    case ConfigNode::Kind::Map:
      return "a map";
  }
  return "?";
}

std::optional<int64_t> parse_int(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_real(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(const std::string& text) {
  if (text == "true" || text == "True" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "False" || text == "no" || text == "off") return false;
  return std::nullopt;
}

template <typename T>
std::string format_number(T value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string range_text(IntRange range) {
  const bool low = range.min != std::numeric_limits<int64_t>::min();
  const bool high = range.max != std::numeric_limits<int64_t>::max();
  if (low && high) return " in [" + format_number(range.min) + ", " + format_number(range.max) + "]";
  if (low) return " >= " + format_number(range.min);
  if (high) return " <= " + format_number(range.max);
  return "";
}

std::string range_text(RealRange range) {
  const bool low = std::isfinite(range.min);
  const bool high = std::isfinite(range.max);
  if (low && high) return " in [" + format_number(range.min) + ", " + format_number(range.max) + "]";
  if (low) return " >= " + format_number(range.min);
  if (high) return " <= " + format_number(range.max);
  return "";
}

ConfigNode scalar_node(const std::string& text) {
  ConfigNode node;
  node.kind = ConfigNode::Kind::Scalar;
  node.scalar = text;
  node.source = kDefaultSource;
  return node;
}

template <typename T>
ConfigNode list_node(const std::vector<T>& values) {
  ConfigNode node;
  node.kind = ConfigNode::Kind::Sequence;
  node.source = kDefaultSource;
  for (const auto& value : values) {
    if constexpr (std::is_same_v<T, std::string>) {
      node.items.push_back(scalar_node(value));
    } else {
      node.items.push_back(scalar_node(format_number(value)));
    }
  }
  return node;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string nearest_word(const std::string& word, const std::set<std::string>& known) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : known) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

ConfigSection::ConfigSection(std::shared_ptr<State> state, std::vector<std::string> steps,
                             std::string path)
    : state_(std::move(state)), steps_(std::move(steps)), path_(std::move(path)) {}

std::string ConfigSection::key_path(const std::string& key) const { return join(path_, key); }

ConfigNode& ConfigSection::node() const {
  ConfigNode* node = &state_->root;
  for (const auto& step : steps_) {
    if (node->kind == ConfigNode::Kind::Sequence) {
      node = &node->items.at(std::stoul(step));
    } else {
      node = &node->at_or_insert(step, kDefaultSource);
    }
  }
  if (node->kind == ConfigNode::Kind::Null) node->kind = ConfigNode::Kind::Map;
  if (node->kind != ConfigNode::Kind::Map) {
    throw ConfigError(node->source.str() + ": " + (path_.empty() ? "the config" : path_) +
                      ": expected a map of settings, got " + describe(*node));
  }
  return *node;
}

const ConfigNode* ConfigSection::lookup(const std::string& key) const {
  state_->known.insert(key_path(key));
  const ConfigNode* found = node().find(key);
  if (found == nullptr || found->kind == ConfigNode::Kind::Null) return nullptr;
  return found;
}

const ConfigNode& ConfigSection::store_default(const std::string& key, ConfigNode value) {
  ConfigNode& slot = node().at_or_insert(key, kDefaultSource);
  slot = std::move(value);
  return slot;
}

bool ConfigSection::has(const std::string& key) const {
  const ConfigNode* found = node().find(key);
  return found != nullptr && found->kind != ConfigNode::Kind::Null;
}

void ConfigSection::fail(const std::string& key, const std::string& expected) const {
  const ConfigNode* found = node().find(key);
  const ConfigSource& where = found != nullptr ? found->source : node().source;
  const std::string got = found != nullptr ? ", got " + describe(*found) : "";
  throw ConfigError(where.str() + ": " + key_path(key) + ": " + expected + got);
}

int64_t ConfigSection::get_int(const std::string& key, std::optional<int64_t> fallback,
                               IntRange range) {
  const ConfigNode* found = lookup(key);
  if (found == nullptr) {
    if (!fallback) fail(key, "missing required integer" + range_text(range));
    store_default(key, scalar_node(format_number(*fallback)));
    return *fallback;
  }
  const auto value = found->kind == ConfigNode::Kind::Scalar ? parse_int(found->scalar)
                                                             : std::nullopt;
  if (!value || *value < range.min || *value > range.max) {
    fail(key, "expected an integer" + range_text(range));
  }
  return *value;
}

double ConfigSection::get_real(const std::string& key, std::optional<double> fallback,
                               RealRange range) {
  const ConfigNode* found = lookup(key);
  if (found == nullptr) {
    if (!fallback) fail(key, "missing required number" + range_text(range));
    store_default(key, scalar_node(format_number(*fallback)));
    return *fallback;
  }
  const auto value = found->kind == ConfigNode::Kind::Scalar ? parse_real(found->scalar)
                                                             : std::nullopt;
  if (!value || *value < range.min || *value > range.max) {
    fail(key, "expected a number" + range_text(range));
  }
  return *value;
}

bool ConfigSection::get_bool(const std::string& key, std::optional<bool> fallback) {
  const ConfigNode* found = lookup(key);
  if (found == nullptr) {
    if (!fallback) fail(key, "missing required true/false");
    store_default(key, scalar_node(*fallback ? "true" : "false"));
    return *fallback;
  }
  const auto value = found->kind == ConfigNode::Kind::Scalar ? parse_bool(found->scalar)
                                                             : std::nullopt;
  if (!value) fail(key, "expected true or false");
  return *value;
}

std::string ConfigSection::get_string(const std::string& key,
                                      std::optional<std::string> fallback,
                                      const std::vector<std::string>& choices) {
  std::string choice_text;
  for (const auto& choice : choices) choice_text += (choice_text.empty() ? "" : ", ") + choice;
  const ConfigNode* found = lookup(key);
  if (found == nullptr) {
    if (!fallback) {
      fail(key, choices.empty() ? "missing required text" : "missing; expected one of " + choice_text);
    }
    store_default(key, scalar_node(*fallback));
    return *fallback;
  }
  if (found->kind != ConfigNode::Kind::Scalar) fail(key, "expected text");
  if (!choices.empty() && std::find(choices.begin(), choices.end(), found->scalar) == choices.end()) {
    const std::string nearest =
        nearest_word(found->scalar, std::set<std::string>(choices.begin(), choices.end()));
    fail(key, "expected one of " + choice_text +
                  (nearest.empty() ? "" : " (did you mean '" + nearest + "'?)"));
  }
  return found->scalar;
}

namespace {

template <typename T, typename Parse, typename Check>
std::vector<T> read_list(ConfigSection& section, const ConfigNode* found, const std::string& key,
                         const std::string& expected, Parse parse, Check in_range) {
  std::vector<T> values;
  if (found->kind == ConfigNode::Kind::Scalar) {
    if (auto value = parse(found->scalar); value && in_range(*value)) return {*value};
    section.fail(key, "expected " + expected);
  }
  if (found->kind != ConfigNode::Kind::Sequence) section.fail(key, "expected " + expected);
  for (size_t i = 0; i < found->items.size(); ++i) {
    const ConfigNode& item = found->items[i];
    auto value = item.kind == ConfigNode::Kind::Scalar ? parse(item.scalar) : std::nullopt;
    if (!value || !in_range(*value)) {
      throw ConfigError(item.source.str() + ": " + section.key_path(key) + "[" +
                        std::to_string(i) + "]: expected " + expected + ", got " +
                        describe(item));
    }
    values.push_back(*value);
  }
  return values;
}

}  // namespace

std::vector<int64_t> ConfigSection::get_ints(const std::string& key,
                                             std::optional<std::vector<int64_t>> fallback,
                                             IntRange range) {
  const ConfigNode* found = lookup(key);
  const std::string expected = "a list of integers" + range_text(range);
  if (found == nullptr) {
    if (!fallback) fail(key, "missing required " + expected);
    store_default(key, list_node(*fallback));
    return *fallback;
  }
  return read_list<int64_t>(*this, found, key, expected, parse_int, [&](int64_t v) {
    return v >= range.min && v <= range.max;
  });
}

std::vector<double> ConfigSection::get_reals(const std::string& key,
                                             std::optional<std::vector<double>> fallback,
                                             RealRange range) {
  const ConfigNode* found = lookup(key);
  const std::string expected = "a list of numbers" + range_text(range);
  if (found == nullptr) {
    if (!fallback) fail(key, "missing required " + expected);
    store_default(key, list_node(*fallback));
    return *fallback;
  }
  return read_list<double>(*this, found, key, expected, parse_real, [&](double v) {
    return v >= range.min && v <= range.max;
  });
}

std::vector<std::string> ConfigSection::get_strings(
    const std::string& key, std::optional<std::vector<std::string>> fallback) {
  const ConfigNode* found = lookup(key);
  if (found == nullptr) {
    if (!fallback) fail(key, "missing required list of text");
    store_default(key, list_node(*fallback));
    return *fallback;
  }
  auto as_text = [](const std::string& s) { return std::optional<std::string>(s); };
  return read_list<std::string>(*this, found, key, "a list of text", as_text,
                                [](const std::string&) { return true; });
}

ConfigSection ConfigSection::section(const std::string& key) {
  state_->known.insert(key_path(key));
  ConfigNode& slot = node().at_or_insert(key, kDefaultSource);
  if (slot.kind == ConfigNode::Kind::Null) slot.kind = ConfigNode::Kind::Map;
  if (slot.kind != ConfigNode::Kind::Map) fail(key, "expected a map of settings");
  auto steps = steps_;
  steps.push_back(key);
  return ConfigSection(state_, steps, key_path(key));
}

std::vector<ConfigSection> ConfigSection::sections(const std::string& key) {
  const ConfigNode* found = lookup(key);
  std::vector<ConfigSection> out;
  if (found == nullptr) return out;
  if (found->kind != ConfigNode::Kind::Sequence) fail(key, "expected a list of maps");
  for (size_t i = 0; i < found->items.size(); ++i) {
    auto steps = steps_;
    steps.push_back(key);
    steps.push_back(std::to_string(i));
    const std::string item_path = key_path(key) + "." + std::to_string(i);
    state_->known.insert(item_path);
    out.push_back(ConfigSection(state_, steps, item_path));
    out.back().node();  // a non-map item fails here, with its position
  }
  return out;
}

Config::Config(ConfigNode root, std::string name)
    : state_(std::make_shared<ConfigSection::State>()) {
  state_->root = std::move(root);
  state_->name = std::move(name);
}

Config Config::load(const std::string& path, const std::vector<std::string>& overrides) {
  Config config(load_config_file(path), path);
  for (const auto& assignment : overrides) apply_override(config.state_->root, assignment);
  return config;
}

Config Config::from_text(const std::string& yaml, const std::string& name,
                         const std::vector<std::string>& overrides) {
  ConfigNode root = parse_config_text(yaml, name);
  if (root.kind == ConfigNode::Kind::Null) root.kind = ConfigNode::Kind::Map;
  Config config(std::move(root), name);
  for (const auto& assignment : overrides) apply_override(config.state_->root, assignment);
  return config;
}

ConfigSection Config::root() { return ConfigSection(state_, {}, ""); }

ConfigSection Config::section(const std::string& dotted_path) {
  ConfigSection current = root();
  std::stringstream parts(dotted_path);
  std::string part;
  while (std::getline(parts, part, '.')) current = current.section(part);
  return current;
}

void Config::check_all_keys_known() const {
  const auto& known = state_->known;
  auto walk = [&known](auto&& self, const ConfigNode& node, const std::string& path) -> void {
    if (node.kind == ConfigNode::Kind::Sequence) {
      for (size_t i = 0; i < node.items.size(); ++i) {
        const std::string item_path = path + "." + std::to_string(i);
        if (known.count(item_path)) self(self, node.items[i], item_path);
      }
    }
    if (node.kind != ConfigNode::Kind::Map) return;
    for (const auto& [key, value] : node.entries) {
      const std::string key_path = join(path, key);
      if (known.count(key_path)) {
        self(self, value, key_path);
        continue;
      }
      std::set<std::string> siblings;
      const std::string prefix = path.empty() ? "" : path + ".";
      for (const auto& candidate : known) {
        if (candidate.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = candidate.substr(prefix.size());
        if (rest.find('.') == std::string::npos) siblings.insert(rest);
      }
      const std::string nearest = nearest_word(key, siblings);
      std::string valid;
      for (const auto& sibling : siblings) valid += (valid.empty() ? "" : ", ") + sibling;
      throw ConfigError(value.source.str() + ": unknown key '" + key_path + "'" +
                        (nearest.empty() ? "" : "; did you mean '" + nearest + "'?") +
                        (valid.empty() ? "" : " (valid here: " + valid + ")"));
    }
  };
  walk(walk, state_->root, "");
}

std::string Config::to_yaml() const { return vedkit::to_yaml(state_->root); }

const std::string& Config::name() const { return state_->name; }

}  // namespace vedkit
