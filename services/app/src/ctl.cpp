#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <wayhome/app/cli.hpp>
#include <wayhome/app/ctl.hpp>
#include <wayhome/runtime/http_client.hpp>

namespace wayhome::services {
namespace {

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string token;
  std::string caFile;  ///< CA to trust for an https:// URL (else the system's)
  bool json = false;
  std::vector<std::string> words;
};

/// What one call of the ops API gave.
struct Answer {
  int exit = ExitCode::kOk;
  int status = 0;
  std::string body;
};

Answer call(const Options& o, const std::string& method, const std::string& path,
            const std::string& body, std::ostream& err) {
  ClientRequest request;
  request.method = method;
  request.url = o.url + path;
  request.caFile = o.caFile;
  request.body = body;
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (!o.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + o.token);
  auto response = httpRequest(request);
  if (!response.ok()) {
    err << "wayhome ctl: cannot reach " << o.url << ": " << response.error().message << "\n";
    return {ExitCode::kUnavailable, 0, {}};
  }
  Answer a{ExitCode::kOk, response.value().status, response.value().body};
  if (a.status == 401 || a.status == 403) {
    a.exit = ExitCode::kNoPermission;
  } else if (a.status >= 400 || a.status < 200) {
    a.exit = ExitCode::kFailed;
  }
  if (a.exit != ExitCode::kOk) {
    rapidjson::Document d;
    d.Parse(a.body.c_str());
    const std::string reason =
        !d.HasParseError() && d.IsObject() && d.HasMember("error") && d["error"].IsString()
            ? d["error"].GetString()
            : a.body.substr(0, 200);
    err << "wayhome ctl: " << method << " " << path << ": HTTP " << a.status << ": " << reason
        << "\n";
  }
  return a;
}

std::string pretty(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError()) return body;
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  d.Accept(w);
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

std::string text(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name)) return "-";
  const auto& m = v[name];
  if (m.IsString()) return m.GetString();
  if (m.IsBool()) return m.GetBool() ? "yes" : "no";
  if (m.IsInt64()) return std::to_string(m.GetInt64());
  if (m.IsUint64()) return std::to_string(m.GetUint64());
  if (m.IsDouble()) {
    std::ostringstream ss;
    ss << std::fixed << std::setprecision(1) << m.GetDouble();
    return ss.str();
  }
  return "-";
}

/// Prints rows as aligned columns.
void table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
}

int show(const Options& o, const Answer& a, std::ostream& out,
         const std::function<void(const rapidjson::Document&)>& human) {
  if (a.exit != ExitCode::kOk) return a.exit;
  if (o.json) {
    out << a.body << (a.body.ends_with('\n') ? "" : "\n");
    return a.exit;
  }
  rapidjson::Document d;
  d.Parse(a.body.c_str());
  if (d.HasParseError()) {
    out << a.body << "\n";
  } else {
    human(d);
  }
  return a.exit;
}

int usageError(std::ostream& err, const std::string& message) {
  err << "wayhome ctl: " << message << "\n\n" << ctlUsage();
  return ExitCode::kUsage;
}

}  // namespace

std::string ctlUsage() {
  return R"(usage: wayhome ctl [--url URL] [--cacert FILE] [--token-file FILE] [--json]
                   COMMAND

commands:
  status                    readiness of bus, state store, schemas and connectors
  connectors                each connector: health, counts, last error
  topics                    each topic: partitions, messages held, rate
  lag                       consumer lag and outbox backlog (from /metrics)
  dlq list [SERVICE]        dead letters, newest first
  dlq show ID               one dead letter with its headers and value
  dlq replay ID             send it back to its original topic (admin)
  dlq discard ID            mark it as needing no action (admin)
  tail TOPIC [N]            the newest N messages of a topic (type, key, time; no data)
  validate TYPE FILE        check an event's data against the service's schema
  reload                    reload the routing rules (admin; as SIGHUP does)
  pause|resume NAME         stop or resume taking input on a connector (admin)
  restart NAME              a fresh connector instance from its config (admin)

--url defaults to $WAYHOME_URL or http://127.0.0.1:8080; the token is read from
--token-file FILE or $WAYHOME_TOKEN (never from the command line, which `ps` shows).
An https:// URL checks the service's certificate against the system's CAs, or against
--cacert FILE (PEM; default $WAYHOME_CACERT), and its host name.
exit codes: 0 ok, 1 the service said no, 64 wrong command line, 69 service unreachable,
            77 missing or insufficient token
)";
}

namespace {

/// Reads options and words; an exit code when the command line is wrong or asked for help.
std::optional<int> parseOptions(const std::vector<std::string>& args, Options& o, std::ostream& out,
                                std::ostream& err) {
  if (const char* url = std::getenv("WAYHOME_URL"); url != nullptr && *url != '\0') o.url = url;
  if (const char* token = std::getenv("WAYHOME_TOKEN"); token != nullptr) o.token = token;
  if (const char* ca = std::getenv("WAYHOME_CACERT"); ca != nullptr) o.caFile = ca;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (a == "--json") {
      o.json = true;
    } else if (a == "--token" || a.starts_with("--token=")) {
      // Every user of the machine sees a command line (ps, /proc/<pid>/cmdline).
      return usageError(err,
                        "--token would show the token to every user of this machine (ps); "
                        "use --token-file FILE or $WAYHOME_TOKEN");
    } else if (a == "--url" || a == "--cacert") {
      const auto* v = value();
      if (v == nullptr) return usageError(err, a + " needs a value");
      (a == "--url" ? o.url : o.caFile) = *v;
    } else if (a == "--token-file") {
      const auto* v = value();
      if (v == nullptr) return usageError(err, "--token-file needs a value");
      std::ifstream in(*v);
      if (!in || !std::getline(in, o.token)) {
        return usageError(err, "--token-file: cannot read " + *v);
      }
      while (!o.token.empty() && (o.token.back() == '\r' || o.token.back() == ' ')) {
        o.token.pop_back();
      }
    } else if (a == "--help" || a == "-h") {
      out << ctlUsage();
      return ExitCode::kOk;
    } else if (a.starts_with("--")) {
      return usageError(err, "unknown option '" + a + "'");
    } else {
      o.words.push_back(a);
    }
  }
  while (o.url.ends_with('/'))
    o.url.pop_back();
  if (o.words.empty()) return usageError(err, "no command given");
  return std::nullopt;
}

using Words = std::vector<std::string>;

int status(const Options& o, std::ostream& out, std::ostream& err) {
  auto a = call(o, "GET", "/readyz", "", err);
  if (a.exit == ExitCode::kFailed && a.status == 503)
    a.exit = ExitCode::kOk;  // not ready is an answer
  const int code = show(o, a, out, [&](const rapidjson::Document& d) {
    out << "ready: " << text(d, "ready") << "\n";
    if (!d.HasMember("checks")) return;
    for (const auto& c : d["checks"].GetObject()) {
      out << "  " << std::left << std::setw(11) << c.name.GetString()
          << (c.value["ok"].GetBool() ? "ok" : "NOT OK");
      if (c.value.HasMember("reason")) out << "  " << c.value["reason"].GetString();
      out << "\n";
    }
  });
  return code == ExitCode::kOk && a.status == 503 ? ExitCode::kFailed : code;
}

int connectors(const Options& o, std::ostream& out, std::ostream& err) {
  return show(
      o, call(o, "GET", "/api/v1/connectors", "", err), out, [&](const rapidjson::Document& d) {
        std::vector<Words> rows{
            {"NAME", "TYPE", "HEALTH", "IN", "OUT", "REJECTED", "DUPLICATES", "LAST ERROR"}};
        for (const auto& c : d["connectors"].GetArray()) {
          rows.push_back({text(c, "name"), text(c, "type"), text(c, "health"),
                          text(c["counts"], "in"), text(c["counts"], "out"),
                          text(c["counts"], "rejected"), text(c["counts"], "duplicates"),
                          text(c, "last_error")});
        }
        table(out, rows);
      });
}

int topics(const Options& o, std::ostream& out, std::ostream& err) {
  return show(o, call(o, "GET", "/api/v1/topics", "", err), out, [&](const rapidjson::Document& d) {
    std::vector<Words> rows{{"TOPIC", "PARTITIONS", "MESSAGES", "WRITTEN", "RATE/S"}};
    for (const auto& t : d["topics"].GetArray()) {
      rows.push_back({text(t, "name"), std::to_string(t["partitions"].Size()), text(t, "messages"),
                      text(t, "written"), text(t, "rate_per_second")});
    }
    table(out, rows);
  });
}

int lag(const Options& o, std::ostream& out, std::ostream& err) {
  auto a = call(o, "GET", "/metrics", "", err);
  if (a.exit != ExitCode::kOk) return a.exit;
  // Only the lag and backlog series, as they are: one line each.
  std::istringstream lines(a.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("wayhome_consumer_lag") || line.starts_with("wayhome_outbox_backlog") ||
        line.starts_with("wayhome_outbox_oldest_age_seconds") ||
        line.starts_with("wayhome_dlq_messages")) {
      out << line << "\n";
    }
  }
  return ExitCode::kOk;
}

std::optional<int> dlq(const Options& o, std::ostream& out, std::ostream& err) {
  const auto& w = o.words;
  const std::string& sub = w[1];
  if (sub == "list" && w.size() <= 3) {
    const std::string query = w.size() == 3 ? "?service=" + w[2] : "";
    return show(o, call(o, "GET", "/api/v1/dlq" + query, "", err), out,
                [&](const rapidjson::Document& d) {
                  std::vector<Words> rows{{"ID", "STATE", "FROM", "TYPE", "REASON"}};
                  for (const auto& l : d["dead_letters"].GetArray()) {
                    rows.push_back({text(l, "id"), text(l, "state"), text(l["original"], "topic"),
                                    text(l, "ce_type"), text(l, "reason")});
                  }
                  table(out, rows);
                });
  }
  if (sub == "show" && w.size() == 3) {
    const auto a = call(o, "GET", "/api/v1/dlq/" + w[2], "", err);
    if (a.exit != ExitCode::kOk) return a.exit;
    out << (o.json ? a.body + "\n" : pretty(a.body));
    return ExitCode::kOk;
  }
  if ((sub == "replay" || sub == "discard") && w.size() == 3) {
    return show(o, call(o, "POST", "/api/v1/dlq/" + w[2] + "/" + sub, "", err), out,
                [&](const rapidjson::Document& d) {
                  out << text(d, "id") << ": " << text(d, "state") << " by " << text(d, "actor")
                      << "\n";
                });
  }
  return std::nullopt;
}

int reload(const Options& o, std::ostream& out, std::ostream& err) {
  return show(
      o, call(o, "POST", "/api/v1/reload", "", err), out, [&](const rapidjson::Document& d) {
        for (const auto& c : d["components"].GetArray()) {
          out << text(c, "component") << ": " << (c["reloaded"].GetBool() ? "reloaded" : "REFUSED")
              << " — " << text(c, "detail") << "\n";
        }
      });
}

int connectorAction(const Options& o, std::ostream& out, std::ostream& err) {
  const auto& w = o.words;
  return show(o, call(o, "POST", "/api/v1/connectors/" + w[1] + "/" + w[0], "", err), out,
              [&](const rapidjson::Document& d) {
                out << text(d, "name") << ": " << text(d, "health")
                    << (d.HasMember("paused") && d["paused"].GetBool() ? " (paused)" : "") << "\n";
              });
}

int tail(const Options& o, std::ostream& out, std::ostream& err) {
  const auto& w = o.words;
  const std::string limit = w.size() == 3 ? w[2] : "20";
  return show(o, call(o, "GET", "/api/v1/topics/" + w[1] + "/messages?limit=" + limit, "", err),
              out, [&](const rapidjson::Document& d) {
                std::vector<Words> rows{{"PARTITION", "OFFSET", "TIME", "TYPE", "KEY"}};
                for (const auto& m : d["messages"].GetArray()) {
                  rows.push_back({text(m, "partition"), text(m, "offset"), text(m, "ce_time"),
                                  text(m, "ce_type"), text(m, "key")});
                }
                table(out, rows);
              });
}

int validate(const Options& o, std::ostream& out, std::ostream& err) {
  const auto& w = o.words;
  std::string body;
  if (!readSmallFile(w[2], 16 * 1024 * 1024, body)) {
    return usageError(err, "validate: cannot read " + w[2]);
  }
  auto a = call(o, "POST", "/api/v1/schemas/" + w[1] + "/validate", body, err);
  return show(o, a, out, [&](const rapidjson::Document&) { out << "valid: " << w[1] << "\n"; });
}

/// One ctl command: its word, how many words it takes (with its own), and what it does
/// (nothing: the words did not make a command).
struct CtlCommand {
  std::string_view word;
  std::size_t minWords;
  std::size_t maxWords;
  std::function<std::optional<int>(const Options&, std::ostream&, std::ostream&)> run;
};

const std::vector<CtlCommand>& ctlCommands() {
  static const std::vector<CtlCommand> kCommands{
      {"status", 1, 1, status},
      {"connectors", 1, 1, connectors},
      {"topics", 1, 1, topics},
      {"lag", 1, 1, lag},
      {"dlq", 2, 3, dlq},
      {"reload", 1, 1, reload},
      {"pause", 2, 2, connectorAction},
      {"resume", 2, 2, connectorAction},
      {"restart", 2, 2, connectorAction},
      {"tail", 2, 3, tail},
      {"validate", 3, 3, validate},
  };
  return kCommands;
}

}  // namespace

int runCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  if (auto exit = parseOptions(args, o, out, err)) return *exit;
  const auto& w = o.words;
  for (const auto& c : ctlCommands()) {
    if (c.word != w[0] || w.size() < c.minWords || w.size() > c.maxWords) continue;
    if (auto exit = c.run(o, out, err)) return *exit;
  }
  return usageError(err, "unknown or incomplete command '" + w[0] + "'");
}

}  // namespace wayhome::services
