#include <algorithm>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>

#include <wayhome/bus/topics.hpp>
#include <wayhome/reports/targets.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_schema.hpp>

#include "targets_schema.hpp"

namespace wayhome::reports {
namespace {

const schemas::JsonSchema& compiledSchema() {
  static const schemas::JsonSchema schema(kTargetsSchema, "targets.schema.json");
  return schema;
}

// The raw value of a figure and whether the report hides it.
struct Raw {
  double value = 0;
  bool hidden = false;
};

std::optional<Raw> rawValue(const Report& report, const std::string& figure) {
  for (const auto& s : report.statistics) {
    if (s.id == figure) return s.value ? Raw{*s.value, false} : Raw{0, true};
  }
  const auto dot1 = figure.find('.');
  const auto dot2 = figure.find('.', dot1 + 1);
  if (dot1 == std::string::npos || dot2 == std::string::npos) return std::nullopt;
  const std::string table = figure.substr(0, dot1), row = figure.substr(dot1 + 1, dot2 - dot1 - 1),
                    col = figure.substr(dot2 + 1);
  const auto cell = report.cell(table, row, col);
  if (!cell) return std::nullopt;
  return Raw{static_cast<double>(cell->value), !cell->shown};
}

const Report& emptyReport() {
  static const Report kReport = computeReport({}, Period{});
  return kReport;
}

}  // namespace

std::string_view targetsSchemaText() {
  return kTargetsSchema;
}

bool knownFigure(const std::string& figure) {
  return rawValue(emptyReport(), figure).has_value();
}

std::optional<double> figureValue(const Report& report, const std::string& figure) {
  auto raw = rawValue(report, figure);
  if (!raw || raw->hidden) return std::nullopt;
  return raw->value;
}

Result<std::vector<Target>> parseTargets(std::string_view text, const std::string& origin) {
  if (auto invalid = compiledSchema().validate(text)) {
    return Error::permanent("targets " + origin + ": " + invalid->message);
  }
  rapidjson::Document doc;
  if (auto bad = schemas::parseJson(doc, text)) {
    return Error::permanent("targets " + origin + ": " + bad->message);
  }
  std::vector<Target> out;
  const auto& items = doc["targets"];
  for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
    const auto& it = items[i];
    Target t;
    t.figure = it["figure"].GetString();
    if (!knownFigure(t.figure)) {
      return Error::permanent("targets " + origin + ": /targets/" + std::to_string(i) +
                              "/figure: no report has the figure '" + t.figure +
                              "' (docs/REPORTS.md lists them)");
    }
    t.title = it.HasMember("title") ? it["title"].GetString() : t.figure;
    const std::string per = it["per"].GetString();
    t.per = per == "month"     ? Target::Per::kMonth
            : per == "tertial" ? Target::Per::kTertial
                               : Target::Per::kYear;
    if (it.HasMember("year")) t.year = it["year"].GetInt();
    t.value = it["value"].GetDouble();
    t.atMost = std::string(it["direction"].GetString()) == "at_most";
    t.level = it.HasMember("kind") && std::string(it["kind"].GetString()) == "level";
    if (it.HasMember("budget_line")) t.budgetLine = it["budget_line"].GetString();
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<Target>> loadTargets(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::permanent("targets " + file.string() + ": cannot be read");
  std::string text(1024 * 1024 + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > 1024 * 1024) {
    return Error::permanent("targets " + file.string() + ": larger than 1 MiB");
  }
  return parseTargets(text, file.string());
}

std::vector<TargetStanding> standings(const std::vector<Target>& targets, const Report& report,
                                      const std::vector<Report>& monthsSoFar) {
  std::vector<TargetStanding> out;
  const auto& p = report.period;
  for (const auto& t : targets) {
    if (t.year && *t.year != p.year) continue;
    const bool month = p.kind == Period::Kind::kMonth;
    if ((t.per == Target::Per::kMonth && !month) || (t.per == Target::Per::kTertial && month)) {
      continue;
    }
    TargetStanding s{&t, t.value, std::nullopt, "hidden"};
    std::optional<Raw> raw = rawValue(report, t.figure);
    if (t.per == Target::Per::kYear && !t.level) {
      // Year to date against the share of the year gone.
      Raw sum{0, false};
      bool monthHidden = false;
      for (const auto& m : monthsSoFar) {
        if (auto r = rawValue(m, t.figure)) {
          sum.value += r->value;
          monthHidden = monthHidden || r->hidden;
        }
      }
      // Year to date minus the shown months (or last month's year to date) would give
      // a hidden month away: shown only when every month of it is shown.
      sum.hidden = monthHidden || (sum.value >= 1 && sum.value <= 4);
      raw = sum;
      s.targetValue = t.value * static_cast<double>(monthsSoFar.size()) / 12.0;
    }
    if (raw && !raw->hidden) {
      s.actual = raw->value;
      const bool ok = t.atMost ? raw->value <= s.targetValue : raw->value >= s.targetValue;
      s.status = ok ? "on_track" : "off_track";
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace wayhome::reports
