#include <atomic>
#include <fstream>
#include <libpq-fe.h>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

#include <gtest/gtest.h>

#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {
namespace {

std::string firstLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// The server this process uses: the CTest fixture's, or one of its own.
class Server {
 public:
  Server() {
    const std::filesystem::path shared = WAYHOME_TEST_PG_DIR;
    if (std::filesystem::exists(shared / "url")) {
      dir_ = shared;
    } else {
      own_ = std::make_unique<TempDir>();
      dir_ = own_->path() / "pg";
      const auto r = run({std::string(WAYHOME_TEST_SOURCE_DIR) + "/tests/postgres/server.sh",
                          "start", dir_.string()},
                         std::chrono::seconds(120));
      if (r.exitCode != 0) throw std::runtime_error("cannot start PostgreSQL: " + r.out);
    }
    url_ = firstLine(dir_ / "url");
    password_ = firstLine(dir_ / "password");
  }
  ~Server() {
    if (own_)
      run({std::string(WAYHOME_TEST_SOURCE_DIR) + "/tests/postgres/server.sh", "stop",
           dir_.string()});
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  PostgresDatabase create() {
    static std::atomic<int> counter{0};
    const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    const char* keys[] = {"dbname", "password", nullptr};
    const char* values[] = {url_.c_str(), password_.c_str(), nullptr};
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys, values, 1),
                                                      &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      throw std::runtime_error(std::string("cannot reach the test PostgreSQL: ") +
                               PQerrorMessage(conn.get()));
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> res(
        PQexec(conn.get(), ("CREATE DATABASE " + name + " TEMPLATE template0;").c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      throw std::runtime_error(std::string("CREATE DATABASE failed: ") +
                               PQresultErrorMessage(res.get()));
    }
    PostgresDatabase db;
    db.name = name;
    db.url = url_.substr(0, url_.rfind('/') + 1) + name;
    db.passwordFile = dir_ / "password";
    return db;
  }

 private:
  std::unique_ptr<TempDir> own_;
  std::filesystem::path dir_;
  std::string url_;
  std::string password_;
};

}  // namespace

PostgresDatabase postgresDatabase() {
  static std::mutex mutex;
  static std::unique_ptr<Server> server;
  std::lock_guard lock(mutex);
  try {
    if (!server) server = std::make_unique<Server>();
    return server->create();
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
    throw;
  }
}

}  // namespace wayhome::testing
