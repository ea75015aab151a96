// Compile-time strings: layer names, and the formatted messages of compile-time model errors.
#pragma once
#include <cstddef>
#include <string_view>

namespace cnngen {

// A fixed-capacity, NUL-terminated string usable in constant expressions and as a template argument.
template <std::size_t N>
struct FixedString {
  char s[N]{};
  constexpr FixedString() = default;
  constexpr FixedString(const char (&p)[N]) {
    for (std::size_t i = 0; i < N; ++i) s[i] = p[i];
  }
  constexpr std::size_t size() const {
    std::size_t n = 0;
    while (n < N && s[n] != 0) ++n;
    return n;
  }
  constexpr bool empty() const { return s[0] == 0; }
  constexpr std::string_view view() const { return {s, size()}; }
  constexpr const char* c_str() const { return s; }

  // Appends, truncating silently at capacity (messages and names are short).
  constexpr FixedString& operator+=(std::string_view t) {
    std::size_t n = size();
    for (char c : t) {
      if (n + 1 >= N) break;
      s[n++] = c;
    }
    return *this;
  }
  constexpr FixedString& operator+=(long long v) {
    char buf[24]{};
    int len = 0;
    const bool neg = v < 0;
    unsigned long long u = neg ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
    do {
      buf[len++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) buf[len++] = '-';
    char out[24]{};
    for (int i = 0; i < len; ++i) out[i] = buf[len - 1 - i];
    return *this += std::string_view(out, static_cast<std::size_t>(len));
  }
  constexpr FixedString& operator+=(int v) { return *this += static_cast<long long>(v); }
  constexpr FixedString& operator+=(char c) {
    const char t[1] = {c};
    return *this += std::string_view(t, 1);
  }
  template <std::size_t M>
  constexpr FixedString& operator+=(const FixedString<M>& o) { return *this += o.view(); }

  friend constexpr bool operator==(const FixedString& a, const FixedString& b) { return a.view() == b.view(); }
};

// Layer names: Keras allows any length, but names that fit 47 characters keep nodes small. Every
// layer declares `Name name = {};` last: a positional `Activation{relu}` then warns in no compiler.
struct Name : FixedString<48> {
  constexpr Name() = default;
  template <std::size_t M>
  constexpr Name(const char (&p)[M]) {
    static_assert(M <= 48, "cnngen: a layer name has at most 47 characters");
    *this += std::string_view(p, M - 1);
  }
  constexpr Name(std::string_view v) { *this += v; }
};

// The message of a compile-time model error.
using Message = FixedString<200>;

// Copies the first `Len` characters of `s` into a string of exactly that size, so that a compiler
// prints the message without trailing padding when it names the template argument.
template <std::size_t Len, std::size_t N>
constexpr FixedString<Len + 1> trimmed(const FixedString<N>& s) {
  FixedString<Len + 1> r;
  for (std::size_t i = 0; i < Len; ++i) r.s[i] = s.s[i];
  return r;
}

}  // namespace cnngen
