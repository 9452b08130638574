#include <cmath>
#include <cstdio>

#include <wayhome/core/calendar.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/reports/render.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::reports {
namespace {

using schemas::jsonString;

std::string number(double v) {
  char buf[64];
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  }
  return buf;
}

std::string cellText(const CountGrid& g, std::size_t r, std::size_t c) {
  const Mark m = g.mark(r, c);
  return m == Mark::kShown ? std::to_string(g.value(r, c)) : markText(m);
}

// The shown value of a cell of another report's table with the same labels; -1 hidden.
std::int64_t shownIn(const Report& r, const ReportTable& like, std::size_t row, std::size_t col) {
  const auto v = r.count(like.id, like.rows[row], like.columns[col]);
  return v ? *v : -1;
}

// One horizontal bar group per row (first column): this period, the one before, a
// year before. Hidden values draw no bar and say so.
std::string chart(const ReportTable& t, const Report& now, const Report& prev, const Report& last) {
  const std::size_t col = 0;
  const std::size_t rows = t.grid.interiorRows();
  std::int64_t max = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    for (const Report* rep : {&now, &prev, &last})
      max = std::max(max, shownIn(*rep, t, r, col));
  }
  const int rowHeight = 42, width = 640, labelWidth = 220, barMax = 340;
  std::string svg =
      "<svg class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"" +
      std::to_string(width) + "\" height=\"" + std::to_string(rowHeight * rows + 24) +
      "\" aria-label=\"" + text::escapeMarkup(t.title) + "\">";
  const char* fills[] = {"#1f5f8b", "#8fb3cc", "#c9c9c9"};
  const Report* reps[] = {&now, &prev, &last};
  for (std::size_t r = 0; r < rows; ++r) {
    const int y = static_cast<int>(r) * rowHeight;
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\" font-size=\"12\">" +
           text::escapeMarkup(t.rows[r]) + "</text>";
    for (int k = 0; k < 3; ++k) {
      const auto v = shownIn(*reps[k], t, r, col);
      const int by = y + 4 + k * 12;
      const int w = v < 0 ? 0 : static_cast<int>(barMax * v / max);
      svg += "<rect class=\"bar\" x=\"" + std::to_string(labelWidth) + "\" y=\"" +
             std::to_string(by) + "\" width=\"" + std::to_string(w) + "\" height=\"10\" fill=\"" +
             fills[k] + "\"/>";
      svg += "<text x=\"" + std::to_string(labelWidth + w + 4) + "\" y=\"" +
             std::to_string(by + 9) + "\" font-size=\"10\">" +
             text::escapeMarkup(v < 0 ? "hidden" : std::to_string(v)) + "</text>";
    }
  }
  const int ly = static_cast<int>(rowHeight * rows) + 14;
  const char* names[] = {"this period", "period before", "a year before"};
  for (int k = 0; k < 3; ++k) {
    svg += "<rect x=\"" + std::to_string(k * 150) + "\" y=\"" + std::to_string(ly - 9) +
           "\" width=\"10\" height=\"10\" fill=\"" + fills[k] + "\"/><text x=\"" +
           std::to_string(k * 150 + 14) + "\" y=\"" + std::to_string(ly) + "\" font-size=\"11\">" +
           names[k] + "</text>";
  }
  return svg + "</svg>";
}

constexpr std::string_view kStyle = R"(
body{font-family:sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}.note{color:#555;font-size:.9em}
section{page-break-inside:avoid;break-inside:avoid}
@media print{@page{size:A4;margin:15mm}body{margin:0}section{break-inside:avoid}}
)";

}  // namespace

Result<Format> parseFormat(std::string_view text) {
  if (text == "json") return Format::kJson;
  if (text == "csv") return Format::kCsv;
  if (text == "html") return Format::kHtml;
  return Error::permanent("format '" + std::string(text.substr(0, 40)) +
                          "': must be json, csv or html");
}

const char* contentType(Format format) {
  static constexpr const char* kNames[] = {"application/json", "text/csv; charset=utf-8",
                                           "text/html; charset=utf-8"};
  return text::enumName(format, kNames, "application/octet-stream");
}

std::string renderJson(const Report& report, const std::vector<TargetStanding>& targets) {
  const auto& p = report.period;
  std::string out =
      "{\"period\":" + jsonString(p.label()) +
      ",\"kind\":" + jsonString(p.kind == Period::Kind::kMonth ? "month" : "tertial") +
      ",\"from\":" + jsonString(scheduler::formatOsloRfc3339(p.start())) +
      ",\"to\":" + jsonString(scheduler::formatOsloRfc3339(p.end())) + ",\"suppression\":" +
      jsonString(
          "counts 1-4 are \"<5\"; \":\" is hidden so that no \"<5\" can "
          "be worked out from a total (docs/REPORTS.md)") +
      ",\"tables\":[";
  for (std::size_t i = 0; i < report.tables.size(); ++i) {
    const auto& t = report.tables[i];
    if (i > 0) out += ',';
    out += "{\"id\":" + jsonString(t.id) + ",\"title\":" + jsonString(t.title) + ",\"rows\":[";
    for (std::size_t r = 0; r < t.rows.size(); ++r)
      out += (r > 0 ? "," : "") + jsonString(t.rows[r]);
    out += "],\"columns\":[";
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      out += (c > 0 ? "," : "") + jsonString(t.columns[c]);
    out += "],\"cells\":[";
    for (std::size_t r = 0; r < t.grid.rows(); ++r) {
      out += r > 0 ? ",[" : "[";
      for (std::size_t c = 0; c < t.grid.columns(); ++c) {
        if (c > 0) out += ',';
        out += t.grid.mark(r, c) == Mark::kShown ? std::to_string(t.grid.value(r, c))
                                                 : jsonString(markText(t.grid.mark(r, c)));
      }
      out += ']';
    }
    out += "]}";
  }
  out += "],\"statistics\":[";
  for (std::size_t i = 0; i < report.statistics.size(); ++i) {
    const auto& s = report.statistics[i];
    out += (i > 0 ? ",{\"id\":" : "{\"id\":") + jsonString(s.id) +
           ",\"title\":" + jsonString(s.title) +
           ",\"value\":" + (s.value ? number(*s.value) : jsonString(":")) + "}";
  }
  out += "],\"targets\":[";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& s = targets[i];
    out += (i > 0 ? ",{\"figure\":" : "{\"figure\":") + jsonString(s.target->figure) +
           ",\"title\":" + jsonString(s.target->title) + ",\"target\":" + number(s.targetValue) +
           ",\"direction\":" + jsonString(s.target->atMost ? "at_most" : "at_least") +
           ",\"actual\":" + (s.actual ? number(*s.actual) : jsonString(":")) +
           ",\"status\":" + jsonString(s.status);
    if (!s.target->budgetLine.empty())
      out += ",\"budget_line\":" + jsonString(s.target->budgetLine);
    out += "}";
  }
  return out + "]}";
}

std::string renderCsv(const Report& report, const std::vector<TargetStanding>& targets) {
  std::string out = "period,table,row,column,value\r\n";
  const std::string period = report.period.label();
  for (const auto& t : report.tables) {
    for (std::size_t r = 0; r < t.grid.rows(); ++r) {
      for (std::size_t c = 0; c < t.grid.columns(); ++c) {
        out += period + "," + t.id + "," + t.rows[r] + "," + t.columns[c] + "," +
               cellText(t.grid, r, c) + "\r\n";
      }
    }
  }
  for (const auto& s : report.statistics) {
    out += period + ",statistics," + s.id + ",value," + (s.value ? number(*s.value) : ":") + "\r\n";
  }
  for (const auto& s : targets) {
    out += period + ",targets," + s.target->figure + ",target," + number(s.targetValue) + "\r\n";
    out += period + ",targets," + s.target->figure + ",actual," +
           (s.actual ? number(*s.actual) : ":") + "\r\n";
    out += period + ",targets," + s.target->figure + ",status," + s.status + "\r\n";
  }
  return out;
}

static std::string targetsHtml(const std::vector<TargetStanding>& targets) {
  if (targets.empty()) return {};
  std::string out =
      "<section id=\"targets\"><h2>Against plan and budget</h2><table><tr><th>target</th>"
      "<th>budget line</th><th>target</th><th>actual</th><th>status</th></tr>";
  for (const auto& s : targets) {
    out += "<tr class=\"" + text::escapeMarkup(s.status) + "\"><td>" +
           text::escapeMarkup(s.target->title) + "</td><td>" +
           text::escapeMarkup(s.target->budgetLine) + "</td><td>" +
           (s.target->atMost ? "&le; " : "&ge; ") + number(s.targetValue) + "</td><td>" +
           (s.actual ? number(*s.actual) : ":") + "</td><td>" +
           text::escapeMarkup(s.status == "on_track"    ? "on track"
                              : s.status == "off_track" ? "off track"
                                                        : "hidden") +
           "</td></tr>";
  }
  return out + "</table></section>";
}

std::string renderHtml(const Report& report, const Report& previous, const Report& yearBefore,
                       const std::vector<TargetStanding>& targets) {
  const std::string label = report.period.label();
  std::string out = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                    text::escapeMarkup("wayhome report " + label) + "</title><style>" +
                    std::string(kStyle) + "</style></head><body><h1>The Way Home: report " +
                    text::escapeMarkup(label) + "</h1>" + "<p class=\"note\">" +
                    text::escapeMarkup(scheduler::formatOsloRfc3339(report.period.start())) +
                    " to " + text::escapeMarkup(scheduler::formatOsloRfc3339(report.period.end())) +
                    " (Europe/Oslo). Compared with " + text::escapeMarkup(previous.period.label()) +
                    " and " + text::escapeMarkup(yearBefore.period.label()) +
                    ". Counts from 1 to 4 are shown as &lt;5; ':' is hidden so that no &lt;5 "
                    "can be worked out from a total.</p>" +
                    targetsHtml(targets);
  for (const auto& t : report.tables) {
    out += "<section id=\"" + text::escapeMarkup(t.id) + "\"><h2>" + text::escapeMarkup(t.title) +
           "</h2><table><tr><th></th>";
    for (const auto& c : t.columns)
      out += "<th>" + text::escapeMarkup(c) + "</th>";
    out += "</tr>";
    for (std::size_t r = 0; r < t.grid.rows(); ++r) {
      out += "<tr><td>" + text::escapeMarkup(t.rows[r]) + "</td>";
      for (std::size_t c = 0; c < t.grid.columns(); ++c)
        out += "<td>" + text::escapeMarkup(cellText(t.grid, r, c)) + "</td>";
      out += "</tr>";
    }
    out += "</table>";
    if (t.grid.interiorRows() > 0) out += chart(t, report, previous, yearBefore);
    out += "</section>";
  }
  out += "<section id=\"statistics\"><h2>Times and amounts</h2><table>";
  for (const auto& s : report.statistics) {
    out += "<tr><td>" + text::escapeMarkup(s.title) + "</td><td>" +
           (s.value ? number(*s.value) : ":") + "</td></tr>";
  }
  return out + "</table></section></body></html>\n";
}

}  // namespace wayhome::reports
