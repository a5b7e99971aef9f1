#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vedkit {

// Where a config value came from: a file position (1-based) or a command-line override.
struct ConfigSource {
  std::string file;
  int line = 0;
  int column = 0;

  std::string str() const;  // "file:line:col", or just "file" when there is no position
};

// A YAML document as a tree that remembers the source of every node. It outlives the YAML
// parser so that inherited files and --set overrides keep their own positions.
struct ConfigNode {
  enum class Kind { Null, Scalar, Sequence, Map };

  Kind kind = Kind::Null;
  std::string scalar;
  std::vector<ConfigNode> items;                          // Sequence
  std::vector<std::pair<std::string, ConfigNode>> entries;  // Map, in document order
  ConfigSource source;

  ConfigNode* find(const std::string& key);
  const ConfigNode* find(const std::string& key) const;
  // Returns the entry for key, appending an empty one when absent.
  ConfigNode& at_or_insert(const std::string& key, const ConfigSource& source);
};

// Parses YAML text. Malformed YAML, duplicate keys, anchors over the depth limit and
// non-string keys are ConfigErrors naming file:line:col.
ConfigNode parse_config_text(const std::string& text, const std::string& file_name);

// Reads a config file, resolving `base: other.yaml` (relative to the file) recursively;
// the child's maps merge over the base's, and scalars and lists replace.
ConfigNode load_config_file(const std::string& path);

// Applies one `a.b.c=value` override; value is parsed as YAML (so `[1,2]` is a list).
void apply_override(ConfigNode& root, const std::string& assignment);

// Serialises back to YAML text (block style, keys in document order).
std::string to_yaml(const ConfigNode& node);

void merge_into(ConfigNode& base, const ConfigNode& overlay);

}  // namespace vedkit
