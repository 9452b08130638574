// Reports through the real binary (issue 16): start-up loan applications in through the
// signed webhook, over the bus, into the reporting component's facts, out through
// GET /api/v1/reports/{period} (reporter or admin) and `wayhome report`; hostile
// periods, formats, tokens and command lines refused with the reason.

#include <regex>

#include <gtest/gtest.h>

#include <wayhome/testing/testing.hpp>

#include "loan_support.hpp"

namespace wayhome::reports {
namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;
using loantest::kSecret;
using loantest::post;
using loantest::signedHeaders;
using loantest::submitted;

constexpr const char* kReporter = "reporter-token-0123456789";
constexpr const char* kAdmin = "admin-token-01234567890123";
constexpr const char* kViewer = "viewer-token-0123456789012";

class ReportsE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new t::TempDir();
    served_ = new t::ServedBinary(dir_->path());
    const std::string extra =
        R"(, "ops": {"tokens": [{"name": "council", "role": "reporter", "token": ")" +
        std::string(kReporter) + R"("}, {"name": "kari", "role": "admin", "token": ")" + kAdmin +
        R"("}, {"name": "ola", "role": "viewer", "token": ")" + kViewer +
        R"("}]}, "connectors": [{"type": "loan", "name": "loan", "settings": {"secret": ")" +
        kSecret + R"("}}], "reports": {"targets_file": ")" +
        (t::sourceDir() / "deploy/config/targets.json").string() + R"("})";
    ASSERT_TRUE(served_->start(extra)) << served_->log();
    // Seven applications in September 2026 (submitted_date), one person each time.
    for (int i = 0; i < 7; ++i) {
      const std::string body = submitted("rep-" + std::to_string(i));
      ASSERT_EQ(post(served_->port(), body, signedHeaders(body)).status, 202);
    }
  }
  static void TearDownTestSuite() {
    delete served_;
    delete dir_;
  }

  static t::HttpResult get(const std::string& target, const std::string& token = kReporter) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return t::http(served_->port(), "GET", target, "", headers);
  }

  static bool applied(int n) {
    const auto r = get("/api/v1/reports/2026-09?format=csv");
    return r.status == 200 && r.body.find("2026-09,loans,applied,count," + std::to_string(n) +
                                          "\r\n") != std::string::npos;
  }

  // Everything the service appended is on the bus and every consumer group of the
  // service (router, reports...) has read all of it: a rebuild now finds nothing new.
  static bool caughtUp() {
    const auto r = get("/metrics", kAdmin);
    if (r.status != 200) return false;
    static const std::regex appended(R"(\nwayhome_outbox_appended_total (\d+))");
    static const std::regex published(R"(\nwayhome_outbox_published_total (\d+))");
    static const std::regex lag(R"(\nwayhome_consumer_lag\{[^}]*\} (\S+))");
    std::smatch a;
    std::smatch p;
    if (!std::regex_search(r.body, a, appended) || !std::regex_search(r.body, p, published) ||
        a[1] != p[1]) {
      return false;
    }
    bool any = false;
    for (std::sregex_iterator it(r.body.begin(), r.body.end(), lag), end; it != end; ++it) {
      if ((*it)[1] != "0") return false;
      any = true;
    }
    return any;
  }

  static t::TempDir* dir_;
  static t::ServedBinary* served_;
};

t::TempDir* ReportsE2E::dir_ = nullptr;
t::ServedBinary* ReportsE2E::served_ = nullptr;

TEST_F(ReportsE2E, TheApplicationsReachTheReportOnceInEveryFormat) {
  ASSERT_TRUE(t::waitFor([] { return applied(7); }, 60000ms))
      << get("/api/v1/reports/2026-09?format=csv").body << served_->log();
  // The same webhooks again: the connector knows them, the report does not move.
  for (int i = 0; i < 7; ++i) {
    const std::string body = submitted("rep-" + std::to_string(i));
    EXPECT_EQ(post(served_->port(), body, signedHeaders(body)).status, 202);
  }
  const auto json = get("/api/v1/reports/2026-09");
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(json.headers.at("content-type"), "application/json");
  EXPECT_NE(json.body.find(R"("period":"2026-09")"), std::string::npos);
  EXPECT_NE(json.body.find(R"("targets":[)"), std::string::npos);
  const auto html = get("/api/v1/reports/2026-T3?format=html", kAdmin);
  ASSERT_EQ(html.status, 200);
  EXPECT_NE(html.headers.at("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(html.body.find("<svg"), std::string::npos);
  EXPECT_NE(html.body.find("@media print"), std::string::npos);
  EXPECT_TRUE(applied(7));
  for (const auto* body : {&json.body, &html.body}) {
    EXPECT_EQ(body->find("pr_"), std::string::npos);
    EXPECT_EQ(body->find("SL-rep"), std::string::npos);
  }
}

TEST_F(ReportsE2E, OnlyReportersAndAdminsReadReports) {
  EXPECT_EQ(get("/api/v1/reports/2026-09", "").status, 401);
  EXPECT_EQ(get("/api/v1/reports/2026-09", "not-a-token-0123456789").status, 401);
  const auto viewer = get("/api/v1/reports/2026-09", kViewer);
  EXPECT_EQ(viewer.status, 403);
  EXPECT_NE(viewer.body.find("reporter"), std::string::npos) << viewer.body;
  EXPECT_EQ(get("/api/v1/reports/2026-09", kAdmin).status, 200);
  // A reporter token opens nothing else.
  EXPECT_EQ(get("/api/v1/connectors").status, 403);
  EXPECT_EQ(get("/api/v1/meetings?case_id=x").status, 403);
  EXPECT_EQ(get("/metrics").status, 403);
}

TEST_F(ReportsE2E, BadPeriodsAndFormatsAreRefusedWithTheReason) {
  for (const std::string& bad : std::vector<std::string>{
           "2026-13", "2026-00", "2026-T4", "2026-t1", "1999-01", "26-09", "2026-9", "x",
           "2026-09.json", "2026-09%00", "2026-09%20", std::string(300, '9')}) {
    const auto r = get("/api/v1/reports/" + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("period"), std::string::npos) << bad << ": " << r.body;
  }
  for (const char* format : {"pdf", "JSON", "", "html%00", "../x"}) {
    const auto r = get(std::string("/api/v1/reports/2026-09?format=") + format);
    EXPECT_EQ(r.status, 400) << format << ": " << r.body;
    EXPECT_NE(r.body.find("format"), std::string::npos) << r.body;
  }
  EXPECT_EQ(t::http(served_->port(), "POST", "/api/v1/reports/2026-09", "{}",
                    {{"Authorization", std::string("Bearer ") + kReporter}})
                .status,
            405);
  EXPECT_EQ(get("/api/v1/reports").status, 404);
  EXPECT_EQ(get("/api/v1/reports/2026-09/x").status, 404);
}

TEST_F(ReportsE2E, TheCommandLineWritesTheSameReportAndRefusesBadInput) {
  ASSERT_TRUE(t::waitFor([] { return applied(7); }, 60000ms));
  const std::string config = (dir_->path() / "wayhome.json").string();
  const std::string bin = t::wayhomeBinary().string();
  const auto out = dir_->path() / "2026-09.csv";
  const auto done = t::run({bin, "report", "--config", config, "--period", "2026-09", "--format",
                            "csv", "--out", out.string()});
  ASSERT_EQ(done.exitCode, 0) << done.out;
  EXPECT_NE(t::readFile(out).find("2026-09,loans,applied,count,7\r\n"), std::string::npos);
  EXPECT_EQ(t::readFile(out), get("/api/v1/reports/2026-09?format=csv").body);
  const auto json = t::run({bin, "report", "--config", config, "--period", "2026-T3"});
  EXPECT_EQ(json.exitCode, 0);
  EXPECT_NE(json.out.find(R"("period":"2026-T3")"), std::string::npos) << json.out;

  // Rebuild from the bus while the service runs: every event is counted already.
  ASSERT_TRUE(t::waitFor([] { return caughtUp(); }, 60000ms)) << get("/metrics", kAdmin).body;
  const std::string before = get("/api/v1/reports/2026-09").body;
  const auto rebuilt = t::run({bin, "report", "rebuild", "--config", config}, 120000ms);
  ASSERT_EQ(rebuilt.exitCode, 0) << rebuilt.out;
  EXPECT_NE(rebuilt.out.find(" 0 new facts"), std::string::npos) << rebuilt.out;
  EXPECT_EQ(get("/api/v1/reports/2026-09").body, before);

  struct Bad {
    std::vector<std::string> args;
    int exitCode;
  };
  const std::vector<Bad> bad = {
      {{"report"}, 64},
      {{"report", "--period"}, 64},
      {{"report", "--period", "2026-13"}, 64},
      {{"report", "--period", "2026-09", "--format", "pdf"}, 64},
      {{"report", "--period", "2026-09", "--bogus", "1"}, 64},
      {{"report", "--period", "2026-09", "extra"}, 64},
      {{"report", "rebuild", "--period", "2026-09"}, 64},
      {{"report", "--period", "2026-09", "--config", "/nonexistent/wayhome.json"}, 2},
      {{"report", "--period", "2026-09", "--config", config, "--out", "/nonexistent/dir/r.csv"}, 1},
      {{"report", "--period", "2026-09", "--config", config, "--out", dir_->path().string()}, 1},
  };
  for (const auto& b : bad) {
    std::vector<std::string> argv{bin};
    argv.insert(argv.end(), b.args.begin(), b.args.end());
    const auto r = t::run(argv);
    std::string joined;
    for (const auto& a : b.args)
      joined += a + " ";
    EXPECT_EQ(r.exitCode, b.exitCode) << joined << r.out;
  }
}

// The Council's copy: the HTML report as headless Chromium renders it (charts drawn,
// a screenshot) and prints it (A4 pages, from the print CSS).
TEST_F(ReportsE2E, ChromiumDrawsTheChartsAndPrintsA4Pages) {
  ASSERT_TRUE(t::waitFor([] { return applied(7); }, 60000ms));
  const auto html = dir_->path() / "2026-T3.html";
  ASSERT_EQ(t::run({t::wayhomeBinary().string(), "report", "--config",
                    (dir_->path() / "wayhome.json").string(), "--period", "2026-T3", "--format",
                    "html", "--out", html.string()})
                .exitCode,
            0);
  const std::string url = "file://" + html.string();
  auto chromium = [&](const std::string& what) {
    // Its complaints about a missing D-Bus go nowhere.
    return t::run({"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>/dev/null", "/usr/bin/chromium",
                   "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-extensions", "--disable-background-networking",
                   "--user-data-dir=" + (dir_->path() / "chromium").string(),
                   "--window-size=1240,1754", "--no-pdf-header-footer", what, url},
                  60000ms);
  };
  // The rendered document: one chart per table with rows, the loans bar at 7.
  const auto dom = chromium("--dump-dom");
  ASSERT_EQ(dom.exitCode, 0) << dom.out;
  std::size_t charts = 0;
  for (auto at = dom.out.find("<svg class=\"chart\""); at != std::string::npos;
       at = dom.out.find("<svg class=\"chart\"", at + 1)) {
    ++charts;
  }
  EXPECT_GE(charts, 8U) << dom.out.substr(0, 2000);
  EXPECT_NE(dom.out.find(">7</text>"), std::string::npos);
  // A screenshot, kept as a CI artifact.
  const auto artifacts = std::filesystem::current_path() / "artifacts";
  std::filesystem::create_directories(artifacts);
  const auto png = artifacts / "report.png";
  std::filesystem::remove(png);
  ASSERT_EQ(chromium("--screenshot=" + png.string()).exitCode, 0);
  const std::string image = t::readFile(png);
  EXPECT_GT(image.size(), 10000U);
  EXPECT_EQ(image.substr(0, 4), "\x89PNG");
  // Print to PDF: A4 pages (595 x 842 points), several of them, none empty.
  const auto pdfFile = dir_->path() / "2026-T3.pdf";
  ASSERT_EQ(chromium("--print-to-pdf=" + pdfFile.string()).exitCode, 0);
  const std::string pdf = t::readFile(pdfFile);
  ASSERT_EQ(pdf.substr(0, 5), "%PDF-");
  const std::regex page("/Type\\s*/Page(?!s)");
  const auto pages =
      std::distance(std::sregex_iterator(pdf.begin(), pdf.end(), page), std::sregex_iterator());
  EXPECT_GE(pages, 3);
  EXPECT_LE(pages, 8);
  const std::regex box("/MediaBox\\s*\\[0 0 ([0-9.]+) ([0-9.]+)\\]");
  int boxes = 0;
  for (auto it = std::sregex_iterator(pdf.begin(), pdf.end(), box); it != std::sregex_iterator();
       ++it) {
    ++boxes;
    EXPECT_NEAR(std::stod((*it)[1].str()), 595.3, 1.0);  // 210 mm
    EXPECT_NEAR(std::stod((*it)[2].str()), 841.9, 1.0);  // 297 mm
  }
  EXPECT_EQ(boxes, pages);
}

}  // namespace
}  // namespace wayhome::reports
