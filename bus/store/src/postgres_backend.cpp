#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <libpq-fe.h>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend.hpp"

namespace wayhome::store {
namespace {

constexpr Oid kByteaOid = 17;

std::string serverMessage(const PGconn* conn) {
  std::string msg = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!msg.empty() && std::isspace(static_cast<unsigned char>(msg.back())))
    msg.pop_back();
  return msg;
}

std::string resultMessage(const PGresult* res, const PGconn* conn) {
  std::string msg = res != nullptr ? PQresultErrorMessage(res) : serverMessage(conn);
  while (!msg.empty() && std::isspace(static_cast<unsigned char>(msg.back())))
    msg.pop_back();
  if (res != nullptr) {
    if (const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
      msg += std::string(" (SQLSTATE ") + state + ")";
    }
  }
  return msg;
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PgConnection;

class PgCursor final : public detail::Cursor {
 public:
  PgCursor(PgConnection& conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {}

  void bindInt(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
  void bindText(int index, std::string_view value) override { slot(index) = std::string(value); }
  void bindBlob(int index, std::string_view value) override {
    slot(index) = std::string(value);
    binary_[static_cast<std::size_t>(index - 1)] = true;
  }
  void bindNull(int index) override { slot(index).reset(); }
  bool step() override;
  void reset() override {
    result_.reset();
    row_ = -1;
    values_.clear();
    binary_.clear();
  }
  [[nodiscard]] std::int64_t columnInt(int index) const override {
    if (!result_ || PQgetisnull(result_.get(), row_, index) != 0) return 0;
    return std::strtoll(PQgetvalue(result_.get(), row_, index), nullptr, 10);
  }
  [[nodiscard]] std::string columnText(int index) const override {
    if (!result_ || PQgetisnull(result_.get(), row_, index) != 0) return {};
    const char* v = PQgetvalue(result_.get(), row_, index);
    if (PQftype(result_.get(), index) == kByteaOid) {
      std::size_t n = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &n);
      if (bytes == nullptr) throw StateError("cannot decode a BYTEA column");
      std::string out(reinterpret_cast<const char*>(bytes), n);
      PQfreemem(bytes);
      return out;
    }
    return {v, static_cast<std::size_t>(PQgetlength(result_.get(), row_, index))};
  }
  [[nodiscard]] bool columnIsNull(int index) const override {
    return !result_ || PQgetisnull(result_.get(), row_, index) != 0;
  }

 private:
  std::optional<std::string>& slot(int index) {
    if (index < 1 || index > 65535) throw StateError("placeholder index out of range");
    const auto i = static_cast<std::size_t>(index);
    if (values_.size() < i) {
      values_.resize(i);
      binary_.resize(i, false);
    }
    binary_[i - 1] = false;
    return values_[i - 1];
  }

  PgConnection& conn_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<bool> binary_;
  ResultPtr result_{nullptr, &PQclear};
  int row_ = -1;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  [[nodiscard]] Dialect dialect() const override { return Dialect::postgres; }
  [[nodiscard]] std::int64_t changes() const override { return changes_; }
  void exec(std::string_view sql) override {
    ResultPtr res(PQexec(conn_, std::string(sql).c_str()), &PQclear);
    check(res.get(), sql);
  }
  [[nodiscard]] std::unique_ptr<detail::Cursor> prepare(std::string_view sql) override {
    return std::make_unique<PgCursor>(*this, postgresPlaceholders(sql));
  }
  [[nodiscard]] bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }

  ResultPtr run(const std::string& sql, const std::vector<std::optional<std::string>>& values,
                const std::vector<bool>& binary) {
    std::vector<const char*> ptrs(values.size());
    std::vector<int> lengths(values.size());
    std::vector<int> formats(values.size());
    std::vector<Oid> types(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      ptrs[i] = values[i] ? values[i]->data() : nullptr;
      lengths[i] = values[i] ? static_cast<int>(values[i]->size()) : 0;
      formats[i] = binary[i] ? 1 : 0;
      types[i] = binary[i] ? kByteaOid : 0;  // 0: the server infers it from the SQL
    }
    const int n = static_cast<int>(values.size());
    const std::string* name = preparedName(sql, binary, types);
    ResultPtr res(name != nullptr ? PQexecPrepared(conn_, name->c_str(), n, ptrs.data(),
                                                   lengths.data(), formats.data(), 0)
                                  : PQexecParams(conn_, sql.c_str(), n, types.data(), ptrs.data(),
                                                 lengths.data(), formats.data(), 0),
                  &PQclear);
    check(res.get(), sql);
    return res;
  }

 private:
  void check(const PGresult* res, std::string_view sql) {
    const auto status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK) {
      const char* n = PQcmdTuples(const_cast<PGresult*>(res));
      changes_ = (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
      return;
    }
    if (status == PGRES_TUPLES_OK) {
      const char* n = PQcmdTuples(const_cast<PGresult*>(res));
      changes_ = (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
      return;
    }
    throw StateError("SQL failed (" + std::string(sql.substr(0, 60)) +
                     "): " + resultMessage(res, conn_));
  }

  /// The name of this connection's prepared statement for `sql` with these parameter
  /// types (a BYTEA parameter is typed, the others the server infers), preparing it the
  /// first time: the server then parses and plans each text once per connection
  /// instead of on every call. nullptr past kMaxPrepared texts (SQL built with varying
  /// parts): those run unnamed, as before. A prepared statement outlives a rollback
  /// and goes with its connection.
  /// Errors: throws StateError when the SQL does not prepare.
  const std::string* preparedName(const std::string& sql, const std::vector<bool>& binary,
                                  const std::vector<Oid>& types) {
    static constexpr std::size_t kMaxPrepared = 512;
    std::string key = sql;
    key += '\0';
    for (const bool b : binary)
      key += b ? 'b' : 't';
    if (auto it = prepared_.find(key); it != prepared_.end()) return &it->second;
    if (prepared_.size() >= kMaxPrepared) return nullptr;
    std::string name = "wh" + std::to_string(prepared_.size() + 1);
    ResultPtr res(
        PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()),
        &PQclear);
    check(res.get(), sql);
    return &prepared_.emplace(std::move(key), std::move(name)).first->second;
  }

  PGconn* conn_;
  std::int64_t changes_ = 0;
  /// Prepared statement names by SQL text and parameter types.
  std::unordered_map<std::string, std::string> prepared_;
};

bool PgCursor::step() {
  if (!result_) {
    values_.resize(std::max(values_.size(), binary_.size()));
    result_ = conn_.run(sql_, values_, binary_);
    row_ = -1;
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

std::string readPassword(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw StateError("cannot read password_file " + file.string());
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  if (line.empty()) throw StateError("password_file " + file.string() + " is empty");
  return line;
}

class PgBackend final : public StateStore::Backend {
 public:
  explicit PgBackend(const PostgresOptions& options)
      : options_(options), described_(describePostgresUrl(options.url)) {
    if (options_.pool < 1 || options_.pool > 256) {
      throw StateError("state.postgres.pool must be 1-256, got " + std::to_string(options_.pool));
    }
    if (!options_.passwordFile.empty()) password_ = readPassword(options_.passwordFile);
    idle_.push_back(connect());  // fail at start, not at the first transaction
    open_ = 1;
  }

  [[nodiscard]] Dialect dialect() const override { return Dialect::postgres; }
  [[nodiscard]] std::string describe() const override { return described_; }

  void backupTo(const std::filesystem::path&) override {
    throw StateError(
        "wayhome state backup is for the embedded SQLite store; back up a PostgreSQL "
        "database with pg_dump (or a base backup with pg_basebackup), see docs/OPERATIONS.md");
  }

  void transaction(const std::function<void(Connection&)>& work) override {
    auto conn = acquire();
    try {
      conn->exec("BEGIN;");
      work(*conn);
      conn->exec("COMMIT;");
    } catch (...) {
      if (!conn->broken()) {
        try {
          conn->exec("ROLLBACK;");
        } catch (const StateError&) {
        }
      }
      release(std::move(conn));
      throw;
    }
    release(std::move(conn));
  }

 private:
  std::unique_ptr<PgConnection> connect() {
    std::vector<const char*> keys{"dbname", "application_name", "connect_timeout"};
    std::vector<const char*> values{options_.url.c_str(), "wayhome", "10"};
    if (!password_.empty()) {
      keys.push_back("password");
      values.push_back(password_.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      const std::string msg = serverMessage(conn);
      PQfinish(conn);
      throw StateError("cannot connect to " + described_ + ": " + msg);
    }
    auto out = std::make_unique<PgConnection>(conn);
    // Quiet NOTICEs ("relation already exists, skipping") stay out of stderr.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    out->exec("SET client_min_messages = warning;");
    return out;
  }

  std::unique_ptr<PgConnection> acquire() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->broken()) return conn;
      --open_;  // the server went away; connect afresh below
    }
    ++open_;
    lock.unlock();
    try {
      return connect();
    } catch (...) {
      std::lock_guard again(mutex_);
      --open_;
      freed_.notify_one();
      throw;
    }
  }

  void release(std::unique_ptr<PgConnection> conn) {
    std::lock_guard lock(mutex_);
    if (conn->broken()) {
      --open_;
    } else {
      idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
  }

  PostgresOptions options_;
  std::string described_;
  std::string password_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
};

}  // namespace

std::string postgresPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    std::size_t j = i + 1;
    while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0)
      ++j;
    if (j > i + 1) {
      out += '$';
      out.append(sql.substr(i + 1, j - i - 1));
      i = j - 1;
    } else {
      out += '$' + std::to_string(++next);
    }
  }
  return out;
}

std::string describePostgresUrl(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? err : "cannot parse";
    PQfreemem(err);
    while (!msg.empty() && std::isspace(static_cast<unsigned char>(msg.back())))
      msg.pop_back();
    throw StateError("state.postgres.url: " + msg);
  }
  std::string user;
  std::string host;
  std::string port;
  std::string dbname;
  bool password = false;
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view k = o->keyword;
    if (k == "user") user = o->val;
    if (k == "host") host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
    if (k == "password") password = true;
  }
  PQconninfoFree(opts);
  if (password) {
    throw StateError(
        "state.postgres.url carries a password; put it in state.postgres.password_file");
  }
  return "postgresql://" + (user.empty() ? "" : user + "@") + host +
         (port.empty() ? "" : ":" + port) + "/" + dbname;
}

std::unique_ptr<StateStore::Backend> openPostgres(const PostgresOptions& options) {
  return std::make_unique<PgBackend>(options);
}

}  // namespace wayhome::store
