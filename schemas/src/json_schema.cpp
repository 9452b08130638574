#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "depth_limit.hpp"
#include "rapidjson_schema.hpp"

namespace wayhome::schemas {
namespace {

std::string escapePointerToken(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string typeName(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsObject()) return "object";
  if (v.IsArray()) return "array";
  if (v.IsString()) return "string";
  if (v.IsInt64() || v.IsUint64()) return "integer";
  return "number";
}

std::string compact(const rapidjson::Value& v, std::size_t limit = 120) {
  std::string s = jsonText(v);
  if (s.size() > limit) s = s.substr(0, limit) + "...";
  return s;
}

// Turns RapidJSON's (keyword, schema node, document node) into a sentence, and
// sharpens the pointer to the offending property where the keyword is about one.
std::string explain(const std::string& keyword, const rapidjson::Value* schema,
                    const rapidjson::Value* doc, std::string& pointer) {
  auto number = [&](const char* key) -> std::string {
    if (schema == nullptr || !schema->HasMember(key)) return "?";
    return compact((*schema)[key]);
  };
  if (keyword == "required" && schema != nullptr && doc != nullptr && doc->IsObject() &&
      schema->HasMember("required") && (*schema)["required"].IsArray()) {
    for (const auto& name : (*schema)["required"].GetArray()) {
      if (name.IsString() && !doc->HasMember(name)) {
        pointer += "/" + escapePointerToken(name.GetString());
        return std::string("missing required property '") + name.GetString() + "'";
      }
    }
    return "missing a required property";
  }
  if (keyword == "additionalProperties" && schema != nullptr && doc != nullptr && doc->IsObject()) {
    const rapidjson::Value* props =
        schema->HasMember("properties") ? &(*schema)["properties"] : nullptr;
    for (const auto& member : doc->GetObject()) {
      if (props == nullptr || !props->IsObject() || !props->HasMember(member.name)) {
        pointer += "/" + escapePointerToken(member.name.GetString());
        return std::string("unknown property '") + member.name.GetString() + "' is not allowed";
      }
    }
    return "has a property that is not allowed";
  }
  if (keyword == "type") {
    const bool one = schema != nullptr && schema->HasMember("type") && (*schema)["type"].IsString();
    return "expected " + (one ? std::string((*schema)["type"].GetString()) : number("type")) +
           ", got " + (doc ? typeName(*doc) : "?");
  }
  if (keyword == "enum") return "must be one of " + number("enum");
  if (keyword == "pattern") return "does not match pattern " + number("pattern");
  if (keyword == "minimum") return "must be >= " + number("minimum");
  if (keyword == "maximum") return "must be <= " + number("maximum");
  if (keyword == "multipleOf") return "must be a multiple of " + number("multipleOf");
  if (keyword == "minLength") return "must be at least " + number("minLength") + " characters";
  if (keyword == "maxLength") return "must be at most " + number("maxLength") + " characters";
  if (keyword == "minItems") return "must have at least " + number("minItems") + " items";
  if (keyword == "maxItems") return "must have at most " + number("maxItems") + " items";
  if (keyword == "uniqueItems") return "items must be unique";
  if (keyword == "minProperties") {
    return "must have at least " + number("minProperties") + " properties";
  }
  if (keyword == "maxProperties") {
    return "must have at most " + number("maxProperties") + " properties";
  }
  if (keyword == "not") return "has a value that is not allowed here";
  if (keyword == "anyOf" || keyword == "oneOf" || keyword == "allOf") {
    return "does not match the allowed alternatives";
  }
  if (keyword == "dependencies") return "is missing a property that another one requires";
  return "fails the schema";
}

}  // namespace

struct JsonSchema::Impl {
  std::string origin;
  std::string text;
  std::string title;
  rapidjson::Document schemaJson;
  std::unique_ptr<rapidjson::SchemaDocument> compiled;
};

JsonSchema::JsonSchema(std::string_view schemaText, std::string origin)
    : impl_(std::make_unique<Impl>()) {
  impl_->origin = std::move(origin);
  impl_->text = std::string(schemaText);
  if (auto bad = parseJson(impl_->schemaJson, impl_->text, {.allowComments = true})) {
    throw std::invalid_argument(impl_->origin + ": " + bad->message);
  }
  if (!impl_->schemaJson.IsObject()) {
    throw std::invalid_argument(impl_->origin + ": a JSON Schema must be a JSON object");
  }
  if (impl_->schemaJson.HasMember("title") && impl_->schemaJson["title"].IsString()) {
    impl_->title = impl_->schemaJson["title"].GetString();
  }
  impl_->compiled = std::make_unique<rapidjson::SchemaDocument>(impl_->schemaJson);
}

JsonSchema::~JsonSchema() = default;
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;

const std::string& JsonSchema::title() const {
  return impl_->title;
}
const std::string& JsonSchema::text() const {
  return impl_->text;
}
const std::string& JsonSchema::origin() const {
  return impl_->origin;
}

std::optional<ValidationError> JsonSchema::validate(std::string_view json,
                                                    ParseOptions options) const {
  // One pass: the parser drives the validator through SAX, no DOM on the happy path.
  // Iterative and depth-capped: no text can exhaust the stack (the validator keeps its
  // own stacks, which the cap bounds too).
  rapidjson::SchemaValidator validator(*impl_->compiled);
  DepthLimit<rapidjson::SchemaValidator> limited(validator, kMaxJsonDepth);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  const bool parsed =
      options.allowComments
          ? !reader.Parse<kFlags | rapidjson::kParseCommentsFlag>(is, limited).IsError()
          : !reader.Parse<kFlags>(is, limited).IsError();
  if (parsed && validator.IsValid()) return std::nullopt;

  // Errors are rare: re-read the document as a DOM to say exactly what is wrong. Text
  // that cannot be read (broken, too deep) is a parse error whatever the validator
  // objected to first: the validator may stop at the first '[' of a megabyte of them.
  rapidjson::Document doc;
  if (auto bad = parseJson(doc, json, {.allowComments = options.allowComments})) {
    ValidationError err;
    err.keyword = "parse";
    err.message = std::move(bad->message);
    return err;
  }
  ValidationError err;
  err.keyword = validator.GetInvalidSchemaKeyword();
  {
    rapidjson::StringBuffer sb;
    validator.GetInvalidDocumentPointer().Stringify(sb);
    err.pointer.assign(sb.GetString(), sb.GetSize());
  }
  const rapidjson::Value* docNode =
      err.pointer.empty() ? &doc : rapidjson::Pointer(err.pointer.c_str()).Get(doc);
  const rapidjson::Value* schemaNode = validator.GetInvalidSchemaPointer().Get(impl_->schemaJson);
  if (validator.GetInvalidSchemaPointer().GetTokenCount() == 0) schemaNode = &impl_->schemaJson;
  const std::string sentence = explain(err.keyword, schemaNode, docNode, err.pointer);
  err.message = (err.pointer.empty() ? std::string("(root)") : err.pointer) + ": " + sentence +
                " (keyword '" + err.keyword + "')";
  return err;
}

}  // namespace wayhome::schemas
