#include "text/caption_words.h"

namespace vedkit {
namespace {

bool is_letter(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::vector<std::string> caption_words(const std::string& caption) {
  std::vector<std::string> words;
  std::string word;
  for (size_t i = 0; i < caption.size(); ++i) {
    const char c = caption[i];
    const bool joins = (c == '-' || c == '\'') && !word.empty() && i + 1 < caption.size() &&
                       is_letter(caption[i + 1]);
    if (is_letter(c) || joins) {
      word += lower(c);
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

std::string normalize_caption(const std::string& caption) {
  std::string text;
  for (const auto& word : caption_words(caption)) text += (text.empty() ? "" : " ") + word;
  return text;
}

}  // namespace vedkit
