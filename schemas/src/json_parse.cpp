#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "depth_limit.hpp"

namespace wayhome::schemas {
namespace {

template <unsigned kFlags>
struct Generator {
  std::string_view text;
  std::size_t maxDepth;
  rapidjson::ParseResult result;
  bool tooDeep = false;

  bool operator()(rapidjson::Document& doc) {
    DepthLimit<rapidjson::Document> limited(doc, maxDepth);
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
    rapidjson::Reader reader;
    result =
        reader
            .Parse<kFlags | rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
                is, limited);
    tooDeep = limited.exceeded();
    return !result.IsError();
  }
};

template <unsigned kFlags>
std::optional<JsonParseError> run(rapidjson::Document& doc, std::string_view text,
                                  std::size_t maxDepth) {
  Generator<kFlags> g{text, maxDepth, {}, false};
  doc.SetNull();
  doc.Populate(g);
  if (!g.result.IsError()) return std::nullopt;
  doc.SetNull();
  JsonParseError err;
  err.offset = g.result.Offset();
  err.tooDeep = g.tooDeep;
  err.message = g.tooDeep ? tooDeepMessage(text, err.offset, maxDepth)
                          : "not valid JSON at " + describeOffset(text, err.offset) + ": " +
                                rapidjson::GetParseError_En(g.result.Code());
  return err;
}

}  // namespace

std::string tooDeepMessage(std::string_view text, std::size_t offset, std::size_t maxDepth) {
  return "nesting deeper than " + std::to_string(maxDepth) + " at byte " + std::to_string(offset) +
         " (" + describeOffset(text, offset) + ")";
}

std::optional<JsonParseError> parseJson(rapidjson::Document& doc, std::string_view text,
                                        JsonParseOptions options) {
  constexpr unsigned kComments = rapidjson::kParseCommentsFlag;
  constexpr unsigned kStop = rapidjson::kParseStopWhenDoneFlag;
  if (options.allowComments && options.stopWhenDone) {
    return run<kComments | kStop>(doc, text, options.maxDepth);
  }
  if (options.allowComments) return run<kComments>(doc, text, options.maxDepth);
  if (options.stopWhenDone) return run<kStop>(doc, text, options.maxDepth);
  return run<rapidjson::kParseDefaultFlags>(doc, text, options.maxDepth);
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  const auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string memberText(const rapidjson::Value& obj, const char* key, std::string fallback) {
  const auto* v = member(obj, key);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : fallback;
}

std::int64_t memberInt(const rapidjson::Value& obj, const char* key, std::int64_t fallback) {
  const auto* v = member(obj, key);
  return v != nullptr && v->IsInt64() ? v->GetInt64() : fallback;
}

bool memberFlag(const rapidjson::Value& obj, const char* key, bool fallback) {
  const auto* v = member(obj, key);
  return v != nullptr && v->IsBool() ? v->GetBool() : fallback;
}

}  // namespace wayhome::schemas
