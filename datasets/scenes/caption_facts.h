#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vedkit {

// What a scenes caption (scene_caption's grammar) states, whatever the order it says it in:
// the items it names, and each pair's relation written one way round ("to the right of" and
// "below" turned into "to the left of" and "above" with the items swapped). "a bag to the right
// of a sneaker" and "a sneaker to the left of a bag" state the same facts.
struct SceneCaptionFacts {
  std::vector<std::string> items;      // class names, sorted
  std::vector<std::string> relations;  // "sneaker | to the left of | bag", sorted
  bool operator==(const SceneCaptionFacts& other) const {
    return items == other.items && relations == other.relations;
  }
};

// std::nullopt when the caption does not follow the grammar (an unknown item name, a missing
// article or relation).
std::optional<SceneCaptionFacts> parse_scene_caption(const std::string& caption);

// How many captions agree with their scene's reference, scene by scene.
struct SceneCaptionAgreement {
  int64_t scenes = 0;
  int64_t exact = 0;       // word for word
  int64_t item_count = 0;  // as many items
  int64_t items = 0;       // the same items
  int64_t facts = 0;       // the same items in the same relations
};

// captions[i] against references[i]; a caption that does not parse agrees on nothing.
// std::nullopt when a reference does not parse: not a scenes caption set.
std::optional<SceneCaptionAgreement> compare_scene_captions(
    const std::vector<std::string>& captions, const std::vector<std::string>& references);

// "scenes: 500; exact 23.0%, item count 95.0%, items 39.0%, items and relations 30.0%"
std::string format_scene_caption_agreement(const SceneCaptionAgreement& agreement);

}  // namespace vedkit
