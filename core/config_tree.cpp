#include "core/config_tree.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace vedkit {
namespace {

constexpr int kMaxDepth = 64;

ConfigSource source_of(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

ConfigNode convert(const YAML::Node& node, const std::string& file, int depth) {
  ConfigNode out;
  out.source = source_of(node.Mark(), file);
  if (depth > kMaxDepth) {
    throw ConfigError(out.source.str() + ": nesting deeper than " + std::to_string(kMaxDepth) +
                      " levels; a vedkit config is a few levels deep, check the indentation");
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.kind = ConfigNode::Kind::Null;
      break;
    case YAML::NodeType::Scalar:
      out.kind = ConfigNode::Kind::Scalar;
      out.scalar = node.Scalar();
      break;
    case YAML::NodeType::Sequence:
      out.kind = ConfigNode::Kind::Sequence;
      for (const auto& item : node) out.items.push_back(convert(item, file, depth + 1));
      break;
    case YAML::NodeType::Map: {
      out.kind = ConfigNode::Kind::Map;
      std::set<std::string> seen;
      for (const auto& entry : node) {
        const ConfigSource key_source = source_of(entry.first.Mark(), file);
        if (!entry.first.IsScalar()) {
          throw ConfigError(key_source.str() + ": a key must be a plain name, not a list or map");
        }
        const std::string key = entry.first.Scalar();
        if (!seen.insert(key).second) {
          throw ConfigError(key_source.str() + ": duplicate key '" + key +
                            "'; keep one of the two");
        }
        ConfigNode value = convert(entry.second, file, depth + 1);
        // Errors about a map, list or empty value point at its key, not at its first child.
        if (value.kind != ConfigNode::Kind::Scalar) value.source = key_source;
        out.entries.emplace_back(key, std::move(value));
      }
      break;
    }
  }
  return out;
}

void emit(YAML::Emitter& out, const ConfigNode& node) {
  switch (node.kind) {
    case ConfigNode::Kind::Null:
      out << YAML::Null;
      break;
    case ConfigNode::Kind::Scalar:
      out << node.scalar;
      break;
    case ConfigNode::Kind::Sequence: {
      const bool flat = std::all_of(node.items.begin(), node.items.end(), [](const auto& item) {
        return item.kind == ConfigNode::Kind::Scalar;
      });
      if (flat) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : node.items) emit(out, item);
      out << YAML::EndSeq;
      break;
    }
    case ConfigNode::Kind::Map:
      out << YAML::BeginMap;
      for (const auto& [key, value] : node.entries) {
        out << YAML::Key << key << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      break;
  }
}

ConfigNode load_recursive(const std::filesystem::path& path, std::vector<std::string>& chain) {
  const std::string name = path.string();
  for (const auto& seen : chain) {
    if (seen == name) throw ConfigError(name + ": 'base' inheritance loops back to this file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(name + ": cannot open config file; check the path");
  std::stringstream text;
  text << in.rdbuf();
  ConfigNode node = parse_config_text(text.str(), name);
  if (node.kind == ConfigNode::Kind::Null) node.kind = ConfigNode::Kind::Map;
  if (node.kind != ConfigNode::Kind::Map) {
    throw ConfigError(node.source.str() + ": a config file must be a map of sections");
  }
  ConfigNode* base = node.find("base");
  if (base == nullptr) return node;
  if (base->kind != ConfigNode::Kind::Scalar) {
    throw ConfigError(base->source.str() + ": base: expected a file name");
  }
  std::filesystem::path base_path = base->scalar;
  if (base_path.is_relative()) base_path = path.parent_path() / base_path;
  if (!std::filesystem::exists(base_path)) {
    throw ConfigError(base->source.str() + ": base file '" + base_path.string() +
                      "' does not exist");
  }
  chain.push_back(name);
  ConfigNode merged = load_recursive(base_path, chain);
  chain.pop_back();
  node.entries.erase(std::find_if(node.entries.begin(), node.entries.end(),
                                  [](const auto& entry) { return entry.first == "base"; }));
  merge_into(merged, node);
  return merged;
}

}  // namespace

std::string ConfigSource::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigNode* ConfigNode::find(const std::string& key) {
  for (auto& [name, value] : entries) {
    if (name == key) return &value;
  }
  return nullptr;
}

const ConfigNode* ConfigNode::find(const std::string& key) const {
  return const_cast<ConfigNode*>(this)->find(key);
}

ConfigNode& ConfigNode::at_or_insert(const std::string& key, const ConfigSource& from) {
  if (ConfigNode* existing = find(key)) return *existing;
  ConfigNode fresh;
  fresh.source = from;
  entries.emplace_back(key, std::move(fresh));
  return entries.back().second;
}

ConfigNode parse_config_text(const std::string& text, const std::string& file_name) {
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source_of(e.mark, file_name).str() + ": malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file_name + ": cannot read YAML: " + e.msg);
  }
  return convert(document, file_name, 0);
}

ConfigNode load_config_file(const std::string& path) {
  std::vector<std::string> chain;
  return load_recursive(path, chain);
}

void merge_into(ConfigNode& base, const ConfigNode& overlay) {
  if (base.kind != ConfigNode::Kind::Map || overlay.kind != ConfigNode::Kind::Map) {
    base = overlay;
    return;
  }
  for (const auto& [key, value] : overlay.entries) {
    ConfigNode* existing = base.find(key);
    if (existing == nullptr) {
      base.entries.emplace_back(key, value);
    } else {
      merge_into(*existing, value);
    }
  }
}

void apply_override(ConfigNode& root, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  }
  const std::string path = assignment.substr(0, equals);
  const std::string origin = "--set " + path;
  ConfigNode value = parse_config_text(assignment.substr(equals + 1), origin);

  ConfigNode* node = &root;
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (part.empty()) throw ConfigError(origin + ": empty name in key path");
    if (node->kind == ConfigNode::Kind::Sequence) {
      // Nine digits or fewer: stoul would throw past its range, and no list is that long.
      const bool numeric =
          part.size() <= 9 && part.find_first_not_of("0123456789") == std::string::npos;
      const size_t index = numeric ? std::stoul(part) : node->items.size();
      if (index >= node->items.size()) {
        throw ConfigError(origin + ": '" + part + "' is not an index of the list (it has " +
                          std::to_string(node->items.size()) + " items)");
      }
      node = &node->items[index];
      continue;
    }
    if (node->kind != ConfigNode::Kind::Map) {
      node->kind = ConfigNode::Kind::Map;
      node->scalar.clear();
      node->items.clear();
    }
    node = &node->at_or_insert(part, {origin, 0, 0});
  }
  auto relabel = [&origin](auto&& self, ConfigNode& n) -> void {
    n.source = {origin, 0, 0};
    for (auto& item : n.items) self(self, item);
    for (auto& entry : n.entries) self(self, entry.second);
  };
  relabel(relabel, value);
  *node = std::move(value);
}

std::string to_yaml(const ConfigNode& node) {
  YAML::Emitter out;
  emit(out, node);
  return std::string(out.c_str()) + "\n";
}

}  // namespace vedkit
