#include "datasets/scenes/caption_facts.h"

#include <algorithm>
#include <cstdio>

#include "datasets/fashion_mnist.h"
#include "text/caption_words.h"

namespace vedkit {
namespace {

// Reads "a NAME" or "an NAME" at words[at], advancing at; the longest class name wins.
std::optional<std::string> read_item(const std::vector<std::string>& words, size_t& at) {
  if (at >= words.size() || (words[at] != "a" && words[at] != "an")) return std::nullopt;
  std::optional<std::string> found;
  size_t found_end = 0;
  for (const auto& name : fashion_mnist_classes()) {
    const auto name_words = caption_words(name);
    if (at + 1 + name_words.size() <= words.size() &&
        std::equal(name_words.begin(), name_words.end(), words.begin() + at + 1) &&
        (!found || name_words.size() > found_end - at - 1)) {
      found = name;
      found_end = at + 1 + name_words.size();
    }
  }
  if (found) at = found_end;
  return found;
}

// The relation at words[at] ("to the left of", "above", ...), advancing at.
std::optional<std::string> read_relation(const std::vector<std::string>& words, size_t& at) {
  for (const std::string relation : {"to the left of", "to the right of", "above", "below"}) {
    const auto relation_words = caption_words(relation);
    if (at + relation_words.size() <= words.size() &&
        std::equal(relation_words.begin(), relation_words.end(), words.begin() + at)) {
      at += relation_words.size();
      return relation;
    }
  }
  return std::nullopt;
}

std::string relation_fact(const std::string& a, const std::string& relation, const std::string& b) {
  if (relation == "to the right of") return relation_fact(b, "to the left of", a);
  if (relation == "below") return relation_fact(b, "above", a);
  return a + " | " + relation + " | " + b;
}

}  // namespace

std::optional<SceneCaptionFacts> parse_scene_caption(const std::string& caption) {
  const auto words = caption_words(caption);
  SceneCaptionFacts facts;
  size_t at = 0;
  while (at < words.size()) {
    if (!facts.items.empty()) {
      if (words[at] != "and") return std::nullopt;
      ++at;
    }
    const auto first = read_item(words, at);
    if (!first) return std::nullopt;
    facts.items.push_back(*first);
    if (at == words.size() || words[at] == "and") continue;
    const auto relation = read_relation(words, at);
    if (!relation) return std::nullopt;
    const auto second = read_item(words, at);
    if (!second) return std::nullopt;
    facts.items.push_back(*second);
    facts.relations.push_back(relation_fact(*first, *relation, *second));
  }
  if (facts.items.empty()) return std::nullopt;
  std::sort(facts.items.begin(), facts.items.end());
  std::sort(facts.relations.begin(), facts.relations.end());
  return facts;
}

std::optional<SceneCaptionAgreement> compare_scene_captions(
    const std::vector<std::string>& captions, const std::vector<std::string>& references) {
  SceneCaptionAgreement agreement;
  for (size_t i = 0; i < references.size(); ++i) {
    const auto reference = parse_scene_caption(references[i]);
    if (!reference) return std::nullopt;
    ++agreement.scenes;
    const auto caption = i < captions.size() ? parse_scene_caption(captions[i]) : std::nullopt;
    if (!caption) continue;
    agreement.exact += caption_words(captions[i]) == caption_words(references[i]);
    agreement.item_count += caption->items.size() == reference->items.size();
    agreement.items += caption->items == reference->items;
    agreement.facts += *caption == *reference;
  }
  return agreement;
}

std::string format_scene_caption_agreement(const SceneCaptionAgreement& agreement) {
  const auto share = [&](int64_t count) {
    return 100.0 * static_cast<double>(count) / static_cast<double>(std::max<int64_t>(1, agreement.scenes));
  };
  char line[200];
  std::snprintf(line, sizeof line,
                "scenes: %lld; exact %.1f%%, item count %.1f%%, items %.1f%%, items and relations %.1f%%",
                static_cast<long long>(agreement.scenes), share(agreement.exact),
                share(agreement.item_count), share(agreement.items), share(agreement.facts));
  return line;
}

}  // namespace vedkit
