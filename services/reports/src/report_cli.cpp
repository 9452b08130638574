#include <fstream>
#include <optional>

#include <wayhome/reports/report_cli.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::reports {
namespace {

constexpr int kOk = 0, kFailed = 1, kConfig = 2, kUsage = 64;

constexpr const char* kUsageText =
    "usage: wayhome report --period YYYY-MM|YYYY-Tn [--format json|csv|html] [--out FILE]\n"
    "                      [--config FILE]\n"
    "       wayhome report rebuild [--config FILE]\n";

struct Options {
  std::optional<Period> period;
  Format format = Format::kJson;
  std::optional<std::filesystem::path> out;
  std::optional<std::filesystem::path> config;
};

// False with the reason in `error`.
bool parse(const std::vector<std::string>& args, Options& o, std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a != "--period" && a != "--format" && a != "--out" && a != "--config") {
      error = a.starts_with("-") ? "unknown option '" + a.substr(0, 64) + "'"
                                 : "unexpected argument '" + a.substr(0, 64) + "'";
      return false;
    }
    if (i + 1 >= args.size()) {
      error = a + " needs a value";
      return false;
    }
    const std::string& v = args[++i];
    if (a == "--period") {
      auto p = Period::parse(v);
      if (!p) {
        error = "--period: " + p.error().message;
        return false;
      }
      o.period = p.value();
    } else if (a == "--format") {
      auto f = parseFormat(v);
      if (!f) {
        error = "--format: " + f.error().message;
        return false;
      }
      o.format = f.value();
    } else if (v.empty()) {
      error = a + " needs a value";
      return false;
    } else {
      (a == "--out" ? o.out : o.config) = std::filesystem::path(v);
    }
  }
  if (!o.period) {
    error = "--period is required (a month 2027-03 or a tertial 2027-T1)";
    return false;
  }
  return true;
}

// Written beside the target and renamed over it, so a reader never sees half a report.
bool writeFile(const std::filesystem::path& file, const std::string& text, std::string& error) {
  const auto tmp = std::filesystem::path(file.string() + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f || !f.write(text.data(), static_cast<std::streamsize>(text.size())) || !f.flush()) {
      error = "--out " + file.string() + ": cannot be written";
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    error = "--out " + file.string() + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace

int rebuildCommand(const services::ServiceConfig& config, const ReportsSettings& settings,
                   const std::vector<Target>& targets, std::ostream& out, std::ostream& err);

int reportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  std::string error;
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << kUsageText;
    return kOk;
  }
  const bool rebuild = !args.empty() && args[0] == "rebuild";
  if (rebuild) {
    if (!(args.size() == 1 || (args.size() == 3 && args[1] == "--config" && !args[2].empty()))) {
      err << "wayhome report: rebuild takes --config FILE only\n" << kUsageText;
      return kUsage;
    }
    if (args.size() == 3) o.config = std::filesystem::path(args[2]);
  } else if (!parse(args, o, error)) {
    err << "wayhome report: " << error << "\n" << kUsageText;
    return kUsage;
  }
  services::ServiceConfig config;
  ReportsSettings settings;
  std::vector<Target> targets;
  try {
    config = o.config ? services::loadConfigFile(*o.config) : services::defaultConfig();
    services::ModuleRegistry reportsOnly;  // this command needs no other module's settings
    reportsOnly.add(makeReportsModule());
    settings = reportsOnly.settings<ReportsSettings>("reports", config);
  } catch (const std::exception& e) {
    err << "wayhome report: " << e.what() << "\n";
    return kConfig;
  }
  if (!settings.targetsFile.empty()) {
    auto loaded = loadTargets(settings.targetsFile);
    if (!loaded) {
      err << "wayhome report: " << loaded.error().message << "\n";
      return kConfig;
    }
    targets = std::move(loaded.value());
  }
  if (rebuild) return rebuildCommand(config, settings, targets, out, err);
  std::string text;
  try {
    if (!std::filesystem::exists(config.statePath)) {
      err << "wayhome report: no state store at " << config.statePath.string()
          << " (has the service run with this config?)\n";
      return kFailed;
    }
    store::StateStore state(config.statePath);
    state.migrate(reportsSchema());
    text = renderReport(state, *o.period, o.format, targets,
                        bus::Topics(config.bus.topicPrefix, config.sectors).sectorNames());
  } catch (const std::exception& e) {
    err << "wayhome report: " << e.what() << "\n";
    return kFailed;
  }
  if (!o.out) {
    out << text;
    return out ? kOk : kFailed;
  }
  if (!writeFile(*o.out, text, error)) {
    err << "wayhome report: " << error << "\n";
    return kFailed;
  }
  return kOk;
}

}  // namespace wayhome::reports
