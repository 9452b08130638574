#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>

#include <wayhome/app/builtin.hpp>
#include <wayhome/app/cli.hpp>
#include <wayhome/app/state_cli.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/delivery/delivery.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/plania/seen_store.hpp>
#include <wayhome/reports/facts.hpp>
#include <wayhome/router/schema.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/identity_vault.hpp>
#include <wayhome/scheduler/scheduler.hpp>

namespace wayhome::app {
namespace {

using services::ExitCode;

struct StateArgs {
  std::string sub;
  std::vector<std::string> positional;
  std::optional<std::filesystem::path> config;
  std::optional<std::filesystem::path> from;
  std::optional<std::string> to;
  std::optional<std::filesystem::path> passwordFile;
};

// Errors: returns a message naming the option or argument.
std::optional<std::string> parse(const std::vector<std::string>& args, StateArgs& out) {
  if (args.empty()) return "state needs a subcommand: backup, check or copy";
  out.sub = args.front();
  if (out.sub != "backup" && out.sub != "check" && out.sub != "copy") {
    return "unknown state subcommand '" + out.sub + "' (backup, check or copy)";
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" || a == "--from" || a == "--to" || a == "--password-file") {
      if (i + 1 >= args.size() || args[i + 1].empty()) return a + " needs a value";
      const std::string v = args[++i];
      const bool copyOption = a != "--config";
      if (copyOption != (out.sub == "copy")) return a + " is not an option of state " + out.sub;
      if (a == "--config") out.config = v;
      if (a == "--from") out.from = v;
      if (a == "--to") out.to = v;
      if (a == "--password-file") out.passwordFile = v;
    } else if (a.starts_with("-")) {
      return "unknown option '" + a + "'";
    } else {
      out.positional.push_back(a);
    }
  }
  const std::size_t wanted = out.sub == "backup" ? 1 : 0;
  if (out.positional.size() != wanted) {
    return "state " + out.sub + " takes " + std::to_string(wanted) + " argument(s), got " +
           std::to_string(out.positional.size());
  }
  if (out.sub == "copy" && (!out.from || !out.to)) return "state copy needs --from and --to";
  return std::nullopt;
}

// The configured store, opened. A SQLite file that is not there is not created.
// Errors: throws ConfigError or StateError.
std::unique_ptr<store::StateStore> openConfigured(const StateArgs& a) {
  const auto config = connectors::loadCheckedConfig(a.config);
  if (config.statePostgres) return std::make_unique<store::StateStore>(*config.statePostgres);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(config.statePath, ec)) {
    throw store::StateError("no state store at " + config.statePath.string() +
                            " (state.path of the configuration)");
  }
  return std::make_unique<store::StateStore>(config.statePath);
}

bool configuresPostgres(const StateArgs& a) {
  return a.config && connectors::loadCheckedConfig(a.config).statePostgres.has_value();
}

int backup(const StateArgs& a, std::ostream& out) {
  if (configuresPostgres(a)) {
    throw store::StateError(
        "this configuration keeps its state in PostgreSQL: back it up with pg_dump (or "
        "base backups), not wayhome state backup; see docs/OPERATIONS.md");
  }
  auto state = openConfigured(a);
  state->backupTo(a.positional.front());
  out << "backed up " << state->describe() << " to " << a.positional.front() << "\n";
  return ExitCode::kOk;
}

int check(const StateArgs& a, std::ostream& out) {
  auto state = openConfigured(a);
  bool ok = true;
  out << "state: " << state->describe() << "\n";
  const auto problems = state->integrityProblems();
  out << "integrity: " << (problems.empty() ? "ok" : "FAILED") << "\n";
  for (const auto& p : problems)
    out << "  " << p << "\n";
  ok = ok && problems.empty();
  std::map<std::string, int> known;
  for (const auto* s : allModuleSchemas()) {
    known[std::string(s->module)] = s->steps.empty() ? 0 : s->steps.back().version;
  }
  std::map<std::string, int> have;
  for (const auto& [module, version] : state->moduleVersions())
    have[module] = version;
  for (const auto& [module, version] : have) {
    const auto it = known.find(module);
    out << "module " << module << ": version " << version;
    if (it == known.end()) {
      out << " (unknown to this binary)\n";
    } else if (version > it->second) {
      out << " (NEWER than this binary's " << it->second << ": it will not start)\n";
      ok = false;
    } else if (version < it->second) {
      out << " (this binary migrates it to " << it->second << " on start)\n";
    } else {
      out << " (current)\n";
    }
  }
  if (have.contains("outbox")) {
    std::int64_t pending = 0;
    state->transaction([&](store::Connection& db) {
      store::Statement st(
          db, "SELECT COUNT(*) FROM outbox WHERE published_ms IS NULL AND failed IS NULL;");
      if (st.step()) pending = st.columnInt(0);
    });
    out << "outbox: " << pending << " event(s) not yet on the bus\n";
  }
  out << (ok ? "ok\n" : "problems found\n");
  return ok ? ExitCode::kOk : ExitCode::kStartup;
}

int copy(const StateArgs& a, std::ostream& out) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*a.from, ec)) {
    throw store::StateError("--from: no SQLite state store at " + a.from->string());
  }
  store::StateStore source(*a.from);
  for (const auto& [module, version] : source.moduleVersions()) {
    for (const auto* s : allModuleSchemas()) {
      const int latest = s->steps.empty() ? 0 : s->steps.back().version;
      if (s->module == module && version != latest) {
        throw store::StateError("--from: module " + module + " is at version " +
                                std::to_string(version) + ", this binary's is " +
                                std::to_string(latest) +
                                "; start wayhome serve on it once with this binary first");
      }
    }
  }
  store::StateStore target(
      store::PostgresOptions{.url = *a.to, .passwordFile = a.passwordFile.value_or(""), .pool = 2});
  for (const auto* s : allModuleSchemas())
    target.migrate(*s);
  const auto copied = source.copyTo(target);
  std::int64_t total = 0;
  for (const auto& [table, rows] : copied) {
    out << table << ": " << rows << " row(s)\n";
    total += rows;
  }
  out << "copied " << total << " row(s) from " << source.describe() << " to " << target.describe()
      << "\n";
  return ExitCode::kOk;
}

}  // namespace

std::vector<const store::ModuleSchema*> allModuleSchemas() {
  return {&bus::outboxSchema(),
          &services::routerSchema(),
          &scheduler::schedulerSchema(),
          &services::deliverySchema(),
          &services::opsSchema(),
          &connectors::gerica::gericaSchema(),
          &connectors::plania::planiaSchema(),
          &services::vaultSchema(),
          &reports::reportsSchema()};
}

std::string stateUsage() {
  return R"(usage: wayhome state <subcommand>

  backup FILE [--config F]   copy the SQLite state into FILE (a new file) with SQLite's
                             online backup API: consistent while the service runs.
                             For PostgreSQL use pg_dump (docs/OPERATIONS.md)
  check [--config F]         check the state store: integrity (SQLite), each module's
                             schema version against this binary's, events in the
                             outbox not yet on the bus; exit 1 on a problem
  copy --from SQLITE --to URL [--password-file F]
                             move an embedded SQLite state into an empty PostgreSQL
                             database (every module migrated, every row copied in one
                             transaction); stop the service first
)";
}

int runState(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args.front() == "--help" || args.front() == "-h")) {
    out << stateUsage();
    return ExitCode::kOk;
  }
  StateArgs a;
  if (auto error = parse(args, a)) {
    err << "wayhome: " << *error << "\n\n" << stateUsage();
    return ExitCode::kUsage;
  }
  try {
    if (a.sub == "backup") return backup(a, out);
    if (a.sub == "check") return check(a, out);
    return copy(a, out);
  } catch (const services::ConfigError& e) {
    err << "wayhome: " << e.what() << "\n";
    return ExitCode::kConfig;
  } catch (const store::StateError& e) {
    err << "wayhome: " << e.what() << "\n";
    return ExitCode::kStartup;
  }
}

}  // namespace wayhome::app
