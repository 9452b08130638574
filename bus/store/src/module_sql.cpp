// A module's tables from its sql/<module>.sql (the format is in state_store.hpp).
#include <charconv>
#include <string>
#include <string_view>

#include <wayhome/store/state_store.hpp>

namespace wayhome::store {
namespace {

constexpr std::string_view kSpace = " \t\r";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s = trim(s.substr(prefix.size()));
  return true;
}

// A whole number at the start of s (consumed), or -1.
int number(std::string_view& s) {
  int value = -1;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || value < 0) return -1;
  s = trim(s.substr(static_cast<std::size_t>(end - s.data())));
  return value;
}

class Reader {
 public:
  explicit Reader(std::string_view module) { schema_.module = module; }

  void line(std::size_t number, std::string_view text) {
    line_ = number;
    const auto t = trim(text);
    if (t.empty()) return;
    auto directive = t;
    if (consume(directive, "-- @")) return this->directive(directive);
    if (t.substr(0, 2) == "--") return;  // a comment
    if (schema_.steps.empty()) fail("SQL before the first '-- @step'");
    auto& sql = postgres_ ? schema_.steps.back().postgres : schema_.steps.back().sql;
    if (!sql.empty()) sql += '\n';
    sql += text;
  }

  ModuleSchema finish() {
    closeStep();
    if (schema_.steps.empty()) fail("no '-- @step'");
    return std::move(schema_);
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw StateError("tables of " + schema_.module + ", line " + std::to_string(line_) + ": " +
                     problem);
  }

  void directive(std::string_view d) {
    if (consume(d, "step")) return step(d);
    if (consume(d, "retain")) return retain(d);
    if (d == "postgres") {
      if (schema_.steps.empty() || postgres_) fail("'-- @postgres' without a step of its own");
      if (schema_.steps.back().sql.empty()) fail("'-- @postgres' before the step's own SQL");
      postgres_ = true;
      return;
    }
    fail("unknown directive '-- @" + std::string(d) + "' (step, postgres or retain)");
  }

  void step(std::string_view d) {
    closeStep();
    Migration m;
    m.version = number(d);
    const int expected = static_cast<int>(schema_.steps.size()) + 1;
    if (m.version != expected)
      fail("step numbered out of order: expected " + std::to_string(expected));
    if (consume(d, "(legacy")) {
      m.legacyVersion = number(d);
      if (m.legacyVersion <= 0 || !consume(d, ")")) fail("'(legacy N)' wants a positive number");
    }
    if (!consume(d, ":") || d.empty()) fail("a step wants ': <description>' after its number");
    m.description = d;
    schema_.steps.push_back(std::move(m));
    postgres_ = false;
  }

  void closeStep() {
    if (schema_.steps.empty()) return;
    const auto& m = schema_.steps.back();
    if (m.sql.empty()) fail("step " + std::to_string(m.version) + " has no SQL");
    if (postgres_ && m.postgres.empty()) {
      fail("step " + std::to_string(m.version) + " has '-- @postgres' without SQL");
    }
  }

  void retain(std::string_view d) {
    std::string field[4];
    int n = 0;
    for (;;) {
      const auto bar = d.find('|');
      if (n == 4) fail("'-- @retain' takes at most four fields");
      field[n++] = trim(d.substr(0, bar));
      if (field[n - 1].empty()) fail("'-- @retain' has an empty field");
      if (bar == std::string_view::npos) break;
      d = d.substr(bar + 1);
    }
    if (n < 3) fail("'-- @retain' wants: table | key column(s) | time column [| condition]");
    schema_.retention.push_back({field[0], field[1], field[2], field[3]});
  }

  ModuleSchema schema_;
  std::size_t line_ = 0;
  bool postgres_ = false;
};

}  // namespace

ModuleSchema parseModuleSchema(std::string_view module, std::string_view text) {
  Reader reader(module);
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    reader.line(++number, text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return reader.finish();
}

}  // namespace wayhome::store
