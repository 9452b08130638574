#pragma once

// Writing JSON with RapidJSON: the writer, the calls every member needs and the text
// of a whole document (the ops API, the AsyncAPI document, the simulators' admin pages).

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace wayhome::schemas::json {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

inline void string(JsonWriter& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

/// One member `"k": v` of the open object: a string, a flag, a whole or a real number.
inline void member(JsonWriter& w, std::string_view k, std::string_view v) {
  key(w, k);
  string(w, v);
}
// Without it a literal would pick the bool overload (a standard conversion).
inline void member(JsonWriter& w, std::string_view k, const char* v) {
  member(w, k, std::string_view(v));
}
inline void member(JsonWriter& w, std::string_view k, bool v) {
  key(w, k);
  w.Bool(v);
}
template <std::integral T>
requires(!std::same_as<T, bool>) void member(JsonWriter& w, std::string_view k, T v) {
  key(w, k);
  if constexpr (std::is_signed_v<T>) {
    w.Int64(v);
  } else {
    w.Uint64(v);
  }
}
inline void member(JsonWriter& w, std::string_view k, double v) {
  key(w, k);
  w.Double(v);
}

/// The JSON text that `write(JsonWriter&)` writes.
template <class Write>
std::string text(Write&& write) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write(w);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace wayhome::schemas::json
