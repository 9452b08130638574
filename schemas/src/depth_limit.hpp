#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/rapidjson.h>

namespace wayhome::schemas {

// A SAX handler in front of another one that stops the parse (returns false) when
// arrays and objects nest deeper than a limit. With kParseIterativeFlag the reader
// keeps its own state on the heap; this bounds that heap and every recursive walk
// (Accept, CopyFrom, the schema validator) done on the result later.
template <class Handler>
class DepthLimit {
 public:
  DepthLimit(Handler& next, std::size_t maxDepth) : next_(next), max_(maxDepth) {}

  [[nodiscard]] bool exceeded() const { return exceeded_; }

  bool Null() { return next_.Null(); }
  bool Bool(bool b) { return next_.Bool(b); }
  bool Int(int i) { return next_.Int(i); }
  bool Uint(unsigned u) { return next_.Uint(u); }
  bool Int64(std::int64_t i) { return next_.Int64(i); }
  bool Uint64(std::uint64_t u) { return next_.Uint64(u); }
  bool Double(double d) { return next_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return next_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return next_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return next_.Key(s, n, copy); }
  bool StartObject() { return enter() && next_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return next_.EndObject(members);
  }
  bool StartArray() { return enter() && next_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return next_.EndArray(elements);
  }

 private:
  bool enter() {
    if (++depth_ <= max_) return true;
    exceeded_ = true;
    return false;
  }

  Handler& next_;
  std::size_t max_;
  std::size_t depth_ = 0;
  bool exceeded_ = false;
};

// "nesting deeper than 64 at byte 64 (line 1, column 65)".
std::string tooDeepMessage(std::string_view text, std::size_t offset, std::size_t maxDepth);

}  // namespace wayhome::schemas
