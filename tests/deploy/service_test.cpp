// The real binary as systemd and the platform team meet it: readiness over the
// sd_notify protocol, and the topic catalogue printed and applied to a cluster.

#include <csignal>
#include <ctime>

#include <gtest/gtest.h>

#include <wayhome/testing/notify_socket.hpp>
#include <wayhome/testing/testing.hpp>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;

TEST(Service, TellsSystemdWhenItIsReadyAndWhenItStops) {
  t::TempDir dir;
  t::NotifySocket notify((dir / "notify").string());
  ASSERT_TRUE(notify.bound());
  t::ServedBinary served(dir.path());
  ASSERT_TRUE(served.start()) << served.log();
  // Ready is said once: after the HTTP listener is up, never before.
  const auto ready = notify.waitFor("READY=1", 5000ms);
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
  EXPECT_EQ(ready.find("STOPPING=1"), std::string::npos) << ready;
  EXPECT_EQ(t::http(served.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(served.stop(), 0) << served.log();
  const auto all = notify.waitFor("STOPPING=1", 5000ms);
  EXPECT_NE(all.find("STOPPING=1"), std::string::npos) << all;
}

// The alert WayhomeCertificateExpiring reads when the HTTPS certificate expires.
TEST(Service, ExportsWhenItsHttpsCertificateExpires) {
  t::TempDir dir;
  ASSERT_TRUE(t::makeSelfSignedCertificate(dir.path()));  // valid one day
  t::ServedBinary serve(dir.path());
  ASSERT_TRUE(serve.start(R"(, "bus": {"default_partitions": 1})", t::tlsHttpSettings(dir.path())))
      << serve.log();
  const int port = serve.port();
  const auto metrics = t::run(
      {"sh", "-c",
       "printf 'GET /metrics HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' | openssl s_client -quiet "
       "-connect 127.0.0.1:" +
           std::to_string(port) + " 2>/dev/null"});
  const std::string name = "wayhome_tls_certificate_expiry_timestamp_seconds{file=\"" +
                           (dir / "cert.pem").string() + "\"} ";
  const auto at = metrics.out.find(name);
  ASSERT_NE(at, std::string::npos) << metrics.out;
  const double expires = std::stod(metrics.out.substr(at + name.size()));
  const double now = static_cast<double>(::time(nullptr));
  EXPECT_GT(expires, now + 86400 - 3600) << metrics.out.substr(at, 120);
  EXPECT_LT(expires, now + 86400 + 3600) << metrics.out.substr(at, 120);
  EXPECT_EQ(serve.stop(t::scaled(15000ms)), 0) << serve.log();
}

TEST(Topics, ListPrintsTheCatalogueWithRetentionAndReaders) {
  const auto r = t::run(
      {t::wayhomeBinary().string(), "topics", "list", "--prefix", "x.", "--partitions", "3"});
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_NE(r.out.find(R"({"name":"x.cases.gerica","partitions":3,"retention_ms":604800000,)"
                       R"("cleanup_policy":"delete","readers":["wayhome"])"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("name":"x.referrals.finance","partitions":3,"retention_ms":1209600000,)"
                       R"("cleanup_policy":"delete","readers":["wayhome","finance"])"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("name":"x.dlq.router","partitions":1,)"), std::string::npos) << r.out;
  const auto bad = t::run({t::wayhomeBinary().string(), "topics", "list", "--format", "yaml"});
  EXPECT_EQ(bad.exitCode, 64);
}

TEST(Topics, ApplyReportsWhatDiffersFromTheCatalogue) {
  t::TempDir dir;
  const auto prefix = t::uniquePrefix();
  // A cluster whose topics have 2 partitions where the catalogue asks for 3.
  t::Process bus({t::wayhomeBinary().string(), "bus", "--brokers", "1", "--partitions", "2",
                  "--prefix", prefix, "--bootstrap-file", (dir / "bootstrap").string()},
                 dir / "bus.log");
  ASSERT_TRUE(t::waitFor([&] { return std::filesystem::exists(dir / "bootstrap"); }, 10000ms))
      << bus.log();
  auto bootstrap = t::readFile(dir / "bootstrap");
  bootstrap.erase(bootstrap.find_last_not_of("\n") + 1);
  t::writeFile(dir / "wayhome.json", R"({"bus": {"bootstrap_servers": ")" + bootstrap +
                                         R"(", "topic_prefix": ")" + prefix +
                                         R"(", "default_partitions": 3}})");
  const auto r = t::run({t::wayhomeBinary().string(), "topics", "apply", "--config",
                         (dir / "wayhome.json").string()});
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("differs\t" + prefix + "cases.plania\tpartitions: cluster 2, catalogue 3"),
            std::string::npos)
      << r.out;
  // Every catalogue topic is reported, each on its own line.
  EXPECT_NE(r.out.find(prefix + "audit.decisions"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unchecked\t" + prefix + "dlq.delivery\tconfigs not read: "),
            std::string::npos)
      << r.out;
  // Topics the cluster lacks are created, or reported as failed with the reason.
  t::writeFile(dir / "missing.json",
               R"({"bus": {"bootstrap_servers": ")" + bootstrap +
                   R"(", "topic_prefix": "missing.", "default_partitions": 3}})");
  const auto m = t::run({t::wayhomeBinary().string(), "topics", "apply", "--config",
                         (dir / "missing.json").string(), "--timeout-ms", "1000"});
  EXPECT_EQ(m.exitCode, 1) << m.out;
  EXPECT_NE(m.out.find("failed\tmissing.cases.gerica\tcannot create: "), std::string::npos)
      << m.out;
  const auto embedded = t::run({t::wayhomeBinary().string(), "topics", "apply", "--config",
                                (t::sourceDir() / "deploy/config/embedded.jsonc").string()});
  EXPECT_EQ(embedded.exitCode, 2) << embedded.out;
  bus.signal(SIGTERM);
  EXPECT_EQ(bus.wait(10000ms), 0);
}

}  // namespace
