#include "datasets/scenes/caption_facts.h"

#include <algorithm>
#include <cstdio>

#include "datasets/fashion_mnist.h"
#include "text/caption_words.h"

namespace vedkit {
namespace {

using Words = std::vector<std::string>;

// Each phrase with its words, tokenized once.
std::vector<std::pair<std::string, Words>> tokenized(const std::vector<std::string>& phrases) {
  std::vector<std::pair<std::string, Words>> result;
  for (const auto& phrase : phrases) result.emplace_back(phrase, caption_words(phrase));
  return result;
}

// The longest of phrases whose words stand at words[at], advancing at past it.
std::optional<std::string> read_phrase(const Words& words, size_t& at,
                                       const std::vector<std::pair<std::string, Words>>& phrases) {
  const std::pair<std::string, Words>* longest = nullptr;
  for (const auto& phrase : phrases) {
    const auto& phrase_words = phrase.second;
    if (at + phrase_words.size() <= words.size() &&
        std::equal(phrase_words.begin(), phrase_words.end(), words.begin() + at) &&
        (longest == nullptr || phrase_words.size() > longest->second.size())) {
      longest = &phrase;
    }
  }
  if (longest == nullptr) return std::nullopt;
  at += longest->second.size();
  return longest->first;
}

// "a NAME" or "an NAME" at words[at]: the class name.
std::optional<std::string> read_item(const Words& words, size_t& at) {
  static const auto names = tokenized(fashion_mnist_classes());
  if (at >= words.size() || (words[at] != "a" && words[at] != "an")) return std::nullopt;
  ++at;
  return read_phrase(words, at, names);
}

std::optional<std::string> read_relation(const Words& words, size_t& at) {
  static const auto relations =
      tokenized({"to the left of", "to the right of", "above", "below"});
  return read_phrase(words, at, relations);
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
