#include "http/client.h"

#include "http/async_client.h"

namespace turbine::http {

namespace {

// One exchange on a private event loop run on the calling thread. `on_chunk` null: the body
// is kept in the response. A callback that throws ends the loop with its exception.
Result<ClientResponse> run(const ClientRequest& request, const BodyChunkCallback* on_chunk) {
  ClientResponse response;
  Status status;
  AsyncClient client(AsyncClient::Options{.max_idle_per_host = 0});  // nothing to keep alive for
  client.start(request,
               {.on_head =
                    [&](int code, const Headers& headers) {
                      response.status = code;
                      response.headers = headers;
                    },
                .on_body =
                    [&](std::string_view piece) {
                      if (on_chunk == nullptr) {
                        response.body.append(piece);
                        return true;
                      }
                      return (*on_chunk)(piece);
                    },
                .on_done = [&](Status s) { status = std::move(s); }});
  client.run();
  if (!status.is_ok()) return status;
  return response;
}

}  // namespace

Result<ClientResponse> fetch(const ClientRequest& request) { return run(request, nullptr); }

Result<ClientResponse> fetch_stream(const ClientRequest& request,
                                    const BodyChunkCallback& on_body_chunk) {
  return run(request, &on_body_chunk);
}

}  // namespace turbine::http
