#include <fstream>
#include <ostream>

#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/deferral_store.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::services {

using namespace router;

namespace {

std::optional<schemas::SchemaRegistry> loadSchemas(const std::filesystem::path& dir,
                                                   std::ostream& err) {
  try {
    return schemas::SchemaRegistry::loadDirectory(dir);
  } catch (const schemas::SchemaLoadError& e) {
    err << "wayhome: " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace

int rulesCheckCommand(const std::filesystem::path& rulesFile,
                      const std::filesystem::path& schemaDir, std::ostream& out, std::ostream& err,
                      const std::vector<bus::Sector>& sectors) {
  auto registry = loadSchemas(schemaDir, err);
  if (!registry) return 2;
  try {
    const auto table = loadRulesFile(rulesFile, *registry, bus::Topics({}, sectors).sectorNames());
    out << "rules ok: " << table->rules.size() << " rules in " << rulesFile.string() << "\n";
    return 0;
  } catch (const RulesError& e) {
    err << "wayhome: " << e.what() << "\n";
    return 1;
  }
}

int rulesTestCommand(const std::filesystem::path& rulesFile,
                     const std::filesystem::path& eventsFile,
                     const std::filesystem::path& schemaDir, std::ostream& out, std::ostream& err,
                     std::optional<Clock::TimePoint> now, const std::vector<bus::Sector>& sectors) {
  auto registry = loadSchemas(schemaDir, err);
  if (!registry) return 2;
  RuleTablePtr table;
  try {
    table = loadRulesFile(rulesFile, *registry, bus::Topics({}, sectors).sectorNames());
  } catch (const RulesError& e) {
    err << "wayhome: " << e.what() << "\n";
    return 1;
  }
  std::ifstream in(eventsFile, std::ios::binary);
  if (!in) {
    err << "wayhome: " << eventsFile.string() << ": cannot be read\n";
    return 64;
  }
  (void)rulesTestEvents(*table, *registry, in, out, now.value_or(SystemClock::instance().now()),
                        sectors);
  return 0;
}

int rulesTestEvents(const router::RuleTable& table, const schemas::SchemaRegistry& schemas,
                    std::istream& in, std::ostream& out, Clock::TimePoint now,
                    const std::vector<bus::Sector>& sectors) {
  const auto* registry = &schemas;
  const auto consents = memoryConsentStore();
  const auto deferrals = memoryDeferralStore();
  const bus::Topics topics({}, sectors);
  const EvalEnv env{now, *consents, topics, deferrals.get()};
  std::string line;
  int lineNo = 0;
  int events = 0;
  int dead = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++events;
    const std::string where = "line " + std::to_string(lineNo);
    rapidjson::Document doc;
    const auto bad = schemas::parseJson(doc, line);
    auto deadLetter = [&](const std::string& why) {
      ++dead;
      out << where << ": -> dlq.router: " << log::redact(why) << "\n";
    };
    if (bad) {
      deadLetter("invalid JSON (each line is one CloudEvent object): " + bad->message);
      continue;
    }
    if (!doc.IsObject()) {
      deadLetter("invalid JSON (each line is one CloudEvent object)");
      continue;
    }
    auto text = [&](const char* k) {
      auto it = doc.FindMember(k);
      return it != doc.MemberEnd() && it->value.IsString()
                 ? std::string(it->value.GetString(), it->value.GetStringLength())
                 : std::string();
    };
    Event event{text("id"), text("type"), text("subject"), nullptr};
    auto dataIt = doc.FindMember("data");
    if (event.id.empty() || event.type.empty() || dataIt == doc.MemberEnd()) {
      deadLetter("missing CloudEvent attribute (id, type and data are required)");
      continue;
    }
    if (!registry->has(event.type)) {
      deadLetter("unknown type '" + event.type.substr(0, 100) + "'");
      continue;
    }
    const std::string data = schemas::jsonText(dataIt->value);
    if (auto invalid = registry->validate(event.type, data)) {
      deadLetter("schema-invalid data: " + invalid->message);
      continue;
    }
    event.data = &dataIt->value;
    out << where << ": event " << event.id << " (" << event.type << ")\n";
    auto evaluation = evaluate(table, event, env);
    if (!evaluation) {
      deadLetter("rule evaluation failed: " + evaluation.error().message);
      continue;
    }
    for (const auto& t : evaluation.value().trace)
      out << "  " << t << "\n";
  }
  out << events << " events, " << dead << " would be dead-lettered\n";
  return dead;
}

}  // namespace wayhome::services
