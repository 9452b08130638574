// The real Beast listener on a free port: limits, keep-alive, async handlers, garbage.

#include <arpa/inet.h>
#include <netinet/in.h>
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
