#include <openssl/crypto.h>

#include "core/core.h"

namespace schemaport {

void WipeString(std::string& text) noexcept {
  // resize() within the capacity never reallocates; it makes every owned byte addressable.
  text.resize(text.capacity());
  OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

Secret::Secret(std::string&& value) : value_(std::move(value)) {
  WipeString(value);
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
  WipeString(other.value_);
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    WipeString(value_);
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    WipeString(value_);
    value_ = std::move(other.value_);
    WipeString(other.value_);
  }
  return *this;
}

Secret::~Secret() {
  WipeString(value_);
}

bool Secret::Equals(const Secret& other) const {
  const std::string& a = value_;
  const std::string& b = other.value_;
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace schemaport
