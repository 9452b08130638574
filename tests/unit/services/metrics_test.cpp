#include <gtest/gtest.h>

#include <wayhome/runtime/metrics.hpp>

namespace wayhome::services {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsInTheTextFormat) {
  Metrics m;
  m.counter("wayhome_test_total", "Things counted.", {{"connector", "loan-1"}}).inc(3);
  m.counter("wayhome_test_total", "Things counted.", {{"connector", "loan-1"}}).inc();
  m.gauge("wayhome_test_backlog", "A level.").set(7.5);
  auto& h = m.histogram("wayhome_test_seconds", "Latency.", {}, {0.01, 0.1});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(5);
  const std::string text = m.render();
  EXPECT_NE(
      text.find("# HELP wayhome_test_total Things counted.\n# TYPE wayhome_test_total counter\n"
                "wayhome_test_total{connector=\"loan-1\"} 4\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("wayhome_test_backlog 7.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("wayhome_test_seconds_bucket{le=\"0.01\"} 1\n"
                      "wayhome_test_seconds_bucket{le=\"0.1\"} 2\n"
                      "wayhome_test_seconds_bucket{le=\"+Inf\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wayhome_test_seconds_count 3\n"), std::string::npos) << text;
}

TEST(Metrics, EscapesLabelValuesAndRefusesBadNamesAndTypeClashes) {
  Metrics m;
  m.gauge("wayhome_x", "x", {{"topic", "a\"b\\c\nd"}}).set(1);
  EXPECT_NE(m.render().find("wayhome_x{topic=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos)
      << m.render();
  EXPECT_THROW(m.counter("9bad", "x"), std::logic_error);
  EXPECT_THROW(m.counter("wayhome_x", "x"), std::logic_error);
  EXPECT_THROW(
      m.addCollector("wayhome_x", "x", "gauge", [] { return std::vector<Metrics::Sample>{}; }),
      std::logic_error);
}

TEST(Metrics, CollectorsRunAtScrapeTimeAndMayRegisterSeries) {
  Metrics m;
  int calls = 0;
  m.addCollector("wayhome_collected", "From a collector.", "gauge", [&] {
    ++calls;
    // A collector may itself touch the registry without deadlocking.
    m.counter("wayhome_scrapes_total", "Scrapes.").inc();
    return std::vector<Metrics::Sample>{{{{"topic", "cases.loan"}}, 42}};
  });
  EXPECT_EQ(calls, 0);
  EXPECT_NE(m.render().find("wayhome_collected{topic=\"cases.loan\"} 42"), std::string::npos);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(m.render().find("wayhome_scrapes_total 1"), std::string::npos);
}

}  // namespace
}  // namespace wayhome::services
