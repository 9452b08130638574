#pragma once

// Writing the ops API's JSON with RapidJSON: the writer and the two calls every
// member needs, shared by the handlers and the AsyncAPI document.

#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace wayhome::services::ops_json {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

inline void string(JsonWriter& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

}  // namespace wayhome::services::ops_json
