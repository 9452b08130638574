// wayhome state backup / check / copy on a state made by the real binary with the
// demo's simulators: the backup is taken while events flow, the copy moves it into
// PostgreSQL, and wayhome serve starts on the copy with every row there.

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>

#include "loan_support.hpp"

namespace {

namespace t = wayhome::testing;
namespace store = wayhome::store;
using namespace std::chrono_literals;

std::int64_t count(store::StateStore& state, const std::string& table) {
  return t::queryInt(state, "SELECT COUNT(*) FROM " + table + ";");
}

std::set<std::string> outboxIds(store::StateStore& state) {
  std::set<std::string> ids;
  state.transaction([&](store::Connection& db) {
    store::Statement st(db, "SELECT event_id FROM outbox;");
    while (st.step())
      ids.insert(st.columnText(0));
  });
  return ids;
}

// Standard output and error of one `wayhome state ...`, run in `cwd`.
t::CommandResult state(const std::filesystem::path& cwd, const std::vector<std::string>& words) {
  std::string line =
      "cd '" + cwd.string() + "' && exec '" + t::wayhomeBinary().string() + "' state";
  for (const auto& w : words)
    line += " '" + w + "'";
  return t::run({"/bin/sh", "-c", line + " 2>&1"}, 120000ms);
}

const std::vector<std::string> kCopied = {"router_consents",  "router_pending",
                                          "router_referrals", "scheduler_meetings",
                                          "outbox",           "plania_seen"};

TEST(StateCommands, BackupWhileRunningCheckAndCopyToPostgres) {
  t::TempDir dir;
  const int port = t::freePort();
  std::string config = t::readFile(t::sourceDir() / "deploy" / "config" / "demo.jsonc");
  config = t::replaceAll(config, "\"port\": 8080", "\"port\": " + std::to_string(port));
  config = t::replaceAll(config, "18091", std::to_string(t::freePort()));
  t::writeFile(dir / "demo.jsonc", config);
  const auto sqlite = dir / "var" / "demo" / "state.db";
  t::Process demo({t::wayhomeBinary().string(), "serve", "--config", (dir / "demo.jsonc").string()},
                  dir / "demo.log", dir.path());
  ASSERT_TRUE(t::waitFor(
      [&] {
        if (!demo.running()) return true;
        if (!std::filesystem::exists(sqlite)) return false;
        try {
          store::StateStore s(sqlite);
          return count(s, "router_consents") > 0 && count(s, "router_referrals") > 0 &&
                 count(s, "scheduler_meetings") > 0;
        } catch (const std::exception&) {
          return false;  // a module has not made its tables yet
        }
      },
      90000ms, 500ms));
  ASSERT_TRUE(demo.running()) << demo.log();

  // While the simulators go on feeding it: consistent, and an existing file is kept.
  const auto backedUp = state(dir.path(), {"backup", "backup.db", "--config", "demo.jsonc"});
  ASSERT_EQ(backedUp.exitCode, 0) << backedUp.out;
  EXPECT_EQ(state(dir.path(), {"backup", "backup.db", "--config", "demo.jsonc"}).exitCode, 1);
  const auto checked = state(dir.path(), {"check", "--config", "demo.jsonc"});
  EXPECT_EQ(checked.exitCode, 0) << checked.out;
  EXPECT_NE(checked.out.find("integrity: ok"), std::string::npos) << checked.out;
  EXPECT_NE(checked.out.find("module router: version"), std::string::npos) << checked.out;
  demo.signal(SIGTERM);
  ASSERT_EQ(demo.wait(30000ms), 0) << demo.log();
  {
    store::StateStore copy(dir / "backup.db");
    EXPECT_TRUE(copy.integrityProblems().empty());
    EXPECT_GT(count(copy, "router_referrals"), 0);
  }

  std::map<std::string, std::int64_t> before;
  std::set<std::string> ids;
  {
    store::StateStore s(sqlite);
    for (const auto& table : kCopied)
      before[table] = count(s, table);
    ids = outboxIds(s);
  }
  const auto db = t::postgresDatabase();
  const auto copied = state(dir.path(), {"copy", "--from", sqlite.string(), "--to", db.url,
                                         "--password-file", db.passwordFile.string()});
  ASSERT_EQ(copied.exitCode, 0) << copied.out;
  const auto again = state(dir.path(), {"copy", "--from", sqlite.string(), "--to", db.url,
                                        "--password-file", db.passwordFile.string()});
  EXPECT_EQ(again.exitCode, 1);
  EXPECT_NE(again.out.find("is not empty"), std::string::npos) << again.out;

  {
    // Exactly the rows of the SQLite file.
    store::StateStore target(store::PostgresOptions{db.url, db.passwordFile, 1});
    for (const auto& table : kCopied)
      EXPECT_EQ(count(target, table), before[table]) << table;
    EXPECT_EQ(outboxIds(target), ids);
  }

  // wayhome serve on the copy: it starts on it, and goes on from the copied rows.
  t::TempDir served;
  t::ServedBinary pg(served.path());
  const std::string postgres = ",\"state\": {\"postgres\": {\"url\": \"" + db.url +
                               "\", \"password_file\": \"" + db.passwordFile.string() +
                               "\"}}, \"identity\": {\"key_file\": \"" +
                               (dir / "var" / "demo.keys" / "person_ref.key").string() + "\"}";
  ASSERT_TRUE(pg.start(postgres)) << pg.log();
  t::writeFile(served / "pg.json", t::readFile(served / "wayhome.json"));
  const auto refused = state(served.path(), {"backup", "x.db", "--config", "pg.json"});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.out.find("pg_dump"), std::string::npos) << refused.out;
  EXPECT_EQ(state(served.path(), {"check", "--config", "pg.json"}).exitCode, 0);
  EXPECT_EQ(pg.stop(), 0) << pg.log();

  store::StateStore target(store::PostgresOptions{db.url, db.passwordFile, 1});
  const auto after = outboxIds(target);
  for (const auto& id : ids)
    EXPECT_TRUE(after.contains(id)) << id;
  // The identity sequence goes on past the copied rows.
  target.transaction([&](store::Connection& c) {
    store::Statement st(c,
                        "INSERT INTO outbox(event_id, topic, msg_key, headers, value, created_ms) "
                        "VALUES('after-copy', 't', 'k', '', '', 0);");
    st.run();
  });
  EXPECT_EQ(count(target, "outbox"), static_cast<std::int64_t>(after.size()) + 1);
}

// A backup taken while loan webhooks keep arriving, restored and started on: every
// event acknowledged (202) before the backup began is in it (in the outbox, which the
// restored instance relays to the bus); later ones are the senders' to re-send.
TEST(StateCommands, BackupWhileEventsFlowLosesNothingAcknowledgedBefore) {
  t::TempDir dir;
  std::filesystem::create_directories(dir / "live");
  std::filesystem::create_directories(dir / "restored");
  t::ServedBinary served(dir / "live");
  const std::string loan =
      R"(,"connectors": [{"type": "loan", "name": "loan", "settings": {"secret": ")" +
      wayhome::loantest::kSecret + R"("}}])";
  ASSERT_TRUE(served.start(R"(,"state": {"path": ")" + (dir / "live.db").string() + "\"}" + loan))
      << served.log();
  std::mutex mutex;
  std::vector<std::string> acked;
  std::atomic<bool> done{false};
  std::thread sender([&] {
    for (int n = 0; !done; ++n) {
      const auto body = wayhome::loantest::submitted("backup-" + std::to_string(n));
      const auto r =
          wayhome::loantest::post(served.port(), body, wayhome::loantest::signedHeaders(body));
      if (r.status != 202) continue;
      std::lock_guard lock(mutex);
      acked.push_back(wayhome::loantest::acceptedEventId(r.body));
    }
  });
  auto ackedSoFar = [&] {
    std::lock_guard lock(mutex);
    return acked;
  };
  EXPECT_TRUE(t::waitFor([&] { return ackedSoFar().size() >= 20; }, 30000ms));
  const auto before = ackedSoFar();
  const auto backedUp = state(
      dir.path(), {"backup", "backup.db", "--config", (dir / "live" / "wayhome.json").string()});
  EXPECT_TRUE(t::waitFor([&] { return ackedSoFar().size() >= before.size() + 10; }, 30000ms));
  done = true;
  sender.join();
  ASSERT_EQ(backedUp.exitCode, 0) << backedUp.out;
  EXPECT_EQ(served.stop(), 0) << served.log();

  std::filesystem::copy_file(dir / "backup.db", dir / "restored.db");
  t::ServedBinary restored(dir / "restored");
  ASSERT_TRUE(
      restored.start(R"(,"state": {"path": ")" + (dir / "restored.db").string() + "\"}" + loan))
      << restored.log();
  EXPECT_EQ(restored.stop(), 0) << restored.log();
  store::StateStore state(dir / "restored.db");
  const auto ids = outboxIds(state);
  for (const auto& id : before)
    EXPECT_TRUE(ids.contains(id)) << id << " was acknowledged";
  EXPECT_GE(ids.size(), before.size());
}

}  // namespace
