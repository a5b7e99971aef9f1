#pragma once

#include <string>
#include <vector>

namespace vedkit {

// A caption as the words that tokenizers and caption metrics see: lower-cased (ASCII),
// punctuation dropped as coco-caption's PTB tokenizer drops it, split on whitespace. A hyphen
// or apostrophe between letters stays inside the word ("t-shirt", "dog's"; PTB would split the
// latter into "dog 's"). Bytes of multi-byte UTF-8 characters count as letters.
std::vector<std::string> caption_words(const std::string& caption);

// The words joined by single spaces.
std::string normalize_caption(const std::string& caption);

}  // namespace vedkit
