// The baseline of the intake benchmark: the same HTTP server (Beast, keep-alive, a
// strand per connection, the same thread count) answering every request at once with
// a fixed 202, doing no work. What the loan endpoint costs beyond this is signature,
// parsing, identity, schema and the durable outbox commit.
//
//   wayhome_bench_baseline [PORT] [THREADS]   prints "listening PORT", stops on SIGINT/SIGTERM

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include <wayhome/runtime/http.hpp>

int main(int argc, char** argv) {
  using namespace wayhome::services;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HttpServerOptions options;
  options.port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  options.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  // wrk connects from one address: as bench/intake/run configures the real binary.
  options.maxConnectionsPerAddress = options.maxConnections;
  HttpServer server(options, [](HttpRequest, Responder respond) {
    respond(HttpResponse::json(202, R"({"accepted":1,"duplicates":0,"event_ids":["baseline"]})"));
  });
  server.start();
  std::cout << "listening " << server.port() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop(std::chrono::milliseconds(1000));
  return 0;
}
