// The real Beast listener on a free port: limits, keep-alive, async handlers, garbage.

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

using namespace std::chrono_literals;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](const HttpRequest& r) {
      const auto it = r.query.find("name");
      return HttpResponse::json(200, "{\"q\":\"" + (it == r.query.end() ? "" : it->second) + "\"}");
    });
    router_.add("POST", "/echo", [](const HttpRequest& r) {
      HttpResponse res;
      res.contentType = r.header("content-type");
      res.body = r.body;
      return res;
    });
    router_.addAsync("GET", "/later", [](HttpRequest, Responder respond) {
      std::thread([respond] {
        std::this_thread::sleep_for(50ms);
        respond(HttpResponse::json(202, "{\"later\":true}"));
      }).detach();
    });
    HttpServerOptions options;
    options.maxBodyBytes = 1024;
    options.headerTimeout = 2000ms;
    options.requestTimeout = 2000ms;
    server_ = std::make_unique<HttpServer>(options, [this](HttpRequest req, Responder respond) {
      router_.handle(std::move(req), std::move(respond));
    });
    server_->start();
  }
  void TearDown() override { server_->stop(1000ms); }

  HttpRouter router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesRoutesWithQueryParameters) {
  const auto r = testing::http(server_->port(), "GET", "/hello?name=ola%20nordmann");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"q":"ola nordmann"})");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
}

TEST_F(HttpServerTest, EchoesBodiesUpToTheLimitAndRefusesLargerWith413) {
  const std::string ok(1024, 'a');
  const auto r =
      testing::http(server_->port(), "POST", "/echo", ok, {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, ok);
  const auto big = testing::http(server_->port(), "POST", "/echo", std::string(1025, 'a'));
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("1024"), std::string::npos) << big.body;
}

TEST_F(HttpServerTest, AsyncHandlersMayAnswerFromAnotherThread) {
  const auto r = testing::http(server_->port(), "GET", "/later");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, R"({"later":true})");
}

TEST_F(HttpServerTest, UnknownPathsAndMethodsGetJsonErrors) {
  EXPECT_EQ(testing::http(server_->port(), "GET", "/nope").status, 404);
  const auto r = testing::http(server_->port(), "DELETE", "/hello");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("allow"), "GET");
}

TEST_F(HttpServerTest, HugeHeadersGet431) {
  const auto r =
      testing::http(server_->port(), "GET", "/hello", "", {{"X-Big", std::string(20000, 'h')}});
  EXPECT_EQ(r.status, 431);
}

// Raw socket helpers for what a well-behaved client would never send.
int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST_F(HttpServerTest, GarbageGets400AndTheConnectionCloses) {
  const int fd = connectTo(server_->port());
  const std::string junk = "\x16\x03\x01 this is not http\r\n\r\n";
  ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  const std::string out = readAll(fd);
  ::close(fd);
  EXPECT_NE(out.find("400"), std::string::npos) << out;
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const int fd = connectTo(server_->port());
  const std::string two =
      "GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello?name=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
  const std::string out = readAll(fd);
  ::close(fd);
  EXPECT_NE(out.find(R"({"q":"a"})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"({"q":"b"})"), std::string::npos) << out;
}

TEST_F(HttpServerTest, ASlowClientIsCutOffAtTheDeadline) {
  const int fd = connectTo(server_->port());
  const std::string partial = "GET /hello HTTP/1.1\r\nHo";
  ::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
  const auto start = std::chrono::steady_clock::now();
  const std::string out = readAll(fd);  // returns when the server hangs up
  ::close(fd);
  EXPECT_LT(std::chrono::steady_clock::now() - start, testing::scaled(10000ms));
  EXPECT_EQ(out.find("200"), std::string::npos);
}

// Denial of service: the limits of issue 12, each against the real listener.
class HttpServerLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
    router_.add("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("handler bug");
    });
    router_.add(
        "POST", "/guarded",
        [this](const HttpRequest& r) {
          ++bodies_;
          return HttpResponse::json(200, "{\"size\":" + std::to_string(r.body.size()) + "}");
        },
        [](const HttpRequest& r) -> std::optional<HttpResponse> {
          if (r.header("authorization") == "Bearer ok") return std::nullopt;
          return HttpResponse::error(401, "missing bearer token");
        });
    options_.maxBodyBytes = 1024 * 1024;
    options_.headerTimeout = 400ms;
    options_.requestTimeout = 3000ms;
    options_.idleTimeout = 400ms;
    options_.maxConnections = 8;
    options_.maxConnectionsPerAddress = 4;
    options_.admit = [this](const HttpRequest& r) { return router_.admit(r); };
    server_ = std::make_unique<HttpServer>(options_, [this](HttpRequest req, Responder respond) {
      router_.handle(std::move(req), std::move(respond));
    });
    server_->start();
  }
  void TearDown() override { server_->stop(1000ms); }

  HttpRouter router_;
  HttpServerOptions options_;
  std::atomic<int> bodies_{0};
  std::unique_ptr<HttpServer> server_;
};

// Seconds until the server closes `fd` (or 99 when it did not within 5 s).
double secondsUntilClosed(int fd) {
  const auto start = std::chrono::steady_clock::now();
  char buf[256];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_F(HttpServerLimits, SlowHeadersAreCutOffAtTheHeaderTimeoutNotTheRequestTimeout) {
  const int fd = connectTo(server_->port());
  const std::string partial = "GET /hello HTTP/1.1\r\nHo";
  ::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
  // A slowloris client: one more byte now and then, never the end of the headers.
  std::atomic<bool> done{false};
  std::thread drip([&] {
    while (!done) {
      ::send(fd, "x", 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(100ms);
    }
  });
  const double took = secondsUntilClosed(fd);
  done = true;
  drip.join();
  ::close(fd);
  EXPECT_LT(took, 2.0) << "the header timeout is 0.4 s, the request timeout 3 s";
}

TEST_F(HttpServerLimits, AnIdleKeptAliveConnectionIsClosedAtTheIdleTimeout) {
  const int fd = connectTo(server_->port());
  const std::string one = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, one.data(), one.size(), MSG_NOSIGNAL);
  char buf[4096];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
  EXPECT_LT(secondsUntilClosed(fd), 2.0);
  ::close(fd);
}

TEST_F(HttpServerLimits, ConnectionsOverThePerAddressCapGet503AndTheCapFrees) {
  std::vector<int> held;
  for (int i = 0; i < 4; ++i)
    held.push_back(connectTo(server_->port()));
  std::this_thread::sleep_for(100ms);  // all four accepted
  const int fifth = connectTo(server_->port());
  const std::string answer = readAll(fifth);
  ::close(fifth);
  EXPECT_NE(answer.find("503"), std::string::npos) << answer;
  for (int fd : held)
    ::close(fd);
  EXPECT_TRUE(testing::waitFor(
      [&] { return testing::http(server_->port(), "GET", "/hello").status == 200; }, 3000ms));
}

TEST_F(HttpServerLimits, AGuardRefusesOnTheHeadersWithoutWaitingForTheBody) {
  const int fd = connectTo(server_->port());
  // Announces a big body and sends none of it: the answer must not wait for it.
  const std::string head = "POST /guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  const auto start = std::chrono::steady_clock::now();
  const std::string out = readAll(fd);
  ::close(fd);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
  EXPECT_NE(out.find("401"), std::string::npos) << out;
  EXPECT_EQ(bodies_.load(), 0);
  // An unknown path is answered on its headers too.
  const int other = connectTo(server_->port());
  const std::string unknown =
      "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
  ::send(other, unknown.data(), unknown.size(), MSG_NOSIGNAL);
  EXPECT_NE(readAll(other).find("404"), std::string::npos);
  ::close(other);
  // With the token the body is read and handled.
  const auto ok = testing::http(server_->port(), "POST", "/guarded", std::string(5000, 'a'),
                                {{"Authorization", "Bearer ok"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"size":5000})");
}

TEST_F(HttpServerLimits, AThrowingHandlerGets500AndTheServerGoesOn) {
  EXPECT_EQ(testing::http(server_->port(), "GET", "/boom").status, 500);
  EXPECT_EQ(testing::http(server_->port(), "GET", "/hello").status, 200);
  // Also when the server's own handler throws (no router in between).
  HttpServer bare(HttpServerOptions{},
                  [](HttpRequest, Responder) { throw std::runtime_error("bug"); });
  bare.start();
  EXPECT_EQ(testing::http(bare.port(), "GET", "/x").status, 500);
  EXPECT_EQ(testing::http(bare.port(), "GET", "/x").status, 500);
  bare.stop(500ms);
}

TEST(HttpServer, APortInUseIsAClearStartUpError) {
  HttpServerOptions options;
  HttpServer first(options, [](HttpRequest, Responder r) { r(HttpResponse::json(200, "{}")); });
  first.start();
  options.port = first.port();
  HttpServer second(options, [](HttpRequest, Responder r) { r(HttpResponse::json(200, "{}")); });
  try {
    second.start();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos);
  }
}

// HTTPS: a client that trusts the certificate gets its answer over TLS 1.2 or newer;
// plain HTTP on the TLS port gets no HTTP answer; a key that does not fit stops start().
TEST(HttpServerTls, ServesHttpsToAClientThatTrustsTheCertificateAndNothingPlain) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::makeSelfSignedCertificate(dir.path()));
  HttpRouter router;
  router.add("GET", "/hello",
             [](const HttpRequest&) { return HttpResponse::json(200, R"({"tls":true})"); });
  HttpServerOptions options;
  options.tlsCertFile = (dir / "cert.pem").string();
  options.tlsKeyFile = (dir / "key.pem").string();
  options.requestTimeout = 2000ms;
  HttpServer server(options, [&router](HttpRequest req, Responder respond) {
    router.handle(std::move(req), std::move(respond));
  });
  server.start();
  const std::string client = R"(
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
for host in ("127.0.0.1", "localhost"):
    c = http.client.HTTPSConnection(host, int(sys.argv[1]), context=ctx, timeout=5)
    c.request("GET", "/hello")
    r = c.getresponse()
    print(r.status, r.read().decode(), c.sock.version())
untrusted = ssl.create_default_context()
try:
    c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=untrusted, timeout=5)
    c.request("GET", "/hello")
    print("untrusted answered")
except ssl.SSLError:
    print("untrusted refused")
)";
  const auto r = testing::run({"/usr/bin/python3", "-c", client, std::to_string(server.port()),
                               (dir / "cert.pem").string()});
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_NE(r.out.find(R"(200 {"tls":true} TLSv1.3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("untrusted refused"), std::string::npos) << r.out;
  // Our own client (ctl, the Plania connector) over https: trusts the given CA and
  // checks the host name; without that CA it refuses the certificate.
  ClientRequest request;
  request.url = "https://localhost:" + std::to_string(server.port()) + "/hello";
  request.caFile = (dir / "cert.pem").string();
  auto ours = httpRequest(request);
  ASSERT_TRUE(ours) << ours.error().message;
  EXPECT_EQ(ours.value().status, 200);
  EXPECT_EQ(ours.value().body, R"({"tls":true})");
  request.caFile.clear();
  ours = httpRequest(request);
  ASSERT_FALSE(ours);
  EXPECT_NE(ours.error().message.find("certificate verify failed"), std::string::npos)
      << ours.error().message;
  request.caFile = (dir / "missing.pem").string();
  ours = httpRequest(request);
  ASSERT_FALSE(ours);
  EXPECT_FALSE(ours.error().retryable()) << ours.error().message;
  // Plain HTTP to the TLS port: no HTTP answer, and the server keeps serving.
  EXPECT_EQ(testing::http(server.port(), "GET", "/hello").status, 0);
  EXPECT_EQ(testing::run({"/usr/bin/python3", "-c", client, std::to_string(server.port()),
                          (dir / "cert.pem").string()})
                .exitCode,
            0);
  server.stop(1000ms);

  std::filesystem::create_directories(dir / "other");
  ASSERT_TRUE(testing::makeSelfSignedCertificate(dir / "other"));
  options.tlsKeyFile = (dir / "other" / "key.pem").string();
  HttpServer mismatched(
      options, [](HttpRequest, Responder respond) { respond(HttpResponse::json(200, "{}")); });
  try {
    mismatched.start();
    ADD_FAILURE() << "a key that does not fit the certificate was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("other/key.pem"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wayhome::services
