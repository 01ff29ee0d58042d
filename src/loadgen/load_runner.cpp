#include "loadgen/load_runner.h"

#include <time.h>

#include <deque>
#include <memory>
#include <optional>

#include "base/check.h"
#include "http/sse.h"
#include "loadgen/session_feed.h"

namespace turbine::loadgen {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxErrorBodyBytes = 4096;  // of a non-200 answer, for its error message
constexpr size_t kSessionLookahead = 64;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Session {
  int64_t id = 0;
  SessionPlan plan;
  size_t next_turn = 0;
  std::vector<std::string> replies;  // the assistant's answer to each finished turn
};

// One request in flight.
struct Exchange {
  std::shared_ptr<Session> session;
  size_t turn = 0;
  RequestRecord record;
  http::SseParser parser;
  std::vector<http::SseEvent> events;  // scratch for the parser
  std::string reply;
  std::string error_body;  // a non-200 answer's body, cut at kMaxErrorBodyBytes
  bool saw_done = false;
  double last_token_s = -1;
};

class Runner {
 public:
  Runner(const LoadOptions& options, Workload& workload, http::AsyncClient& client)
      : o_(options),
        workload_(workload),
        client_(client),
        feed_(workload, kSessionLookahead),
        rng_(options.seed) {
    if (o_.request_rate > 0) arrivals_.emplace(o_.request_rate, o_.burstiness);
    headers_ = o_.headers;
    headers_.emplace_back("content-type", "application/json");
  }

  LoadResult run() {
    start_ = Clock::now();
    const double cpu_start = thread_cpu_seconds();
    if (workload_.has_timestamps()) {
      trace_arrival();
    } else if (!closed_loop_) {
      open_arrival(0.0);
    } else {
      for (int64_t user = 0; user < o_.concurrency; ++user) start_session(0.0);
    }
    if (o_.on_progress) schedule_progress();
    if (o_.interrupted != nullptr) watch_interrupt();
    client_.run();
    TB_CHECK(finished(), "the event loop stopped with work left");
    result_.cost.cpu_s = thread_cpu_seconds() - cpu_start;
    const http::AsyncClientStats stats = client_.stats();
    result_.cost.connections_opened = stats.connections_opened - stats_at_start_.connections_opened;
    result_.cost.connections_reused = stats.connections_reused - stats_at_start_.connections_reused;
    result_.cost.retries = stats.retries - stats_at_start_.retries;
    result_.cost.feed_waits = feed_.num_waits();
    if (o_.on_progress) o_.on_progress(progress());
    return std::move(result_);
  }

 private:
  double now_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  bool finished() const { return num_timers_ == 0 && num_in_flight_ == 0 && waiting_.empty(); }

  // Whether another request may be issued; once not, never again.
  bool may_issue() {
    if (!stopped_ && o_.num_requests > 0 && num_issued_ >= o_.num_requests) stopped_ = true;
    if (!stopped_ && o_.duration_s > 0 && now_s() >= o_.duration_s) stopped_ = true;
    if (!stopped_ && o_.interrupted != nullptr && o_.interrupted->load(std::memory_order_relaxed)) stopped_ = true;
    return !stopped_;
  }

  // Runs `fn` at `at_s` (run time). `arrival`: a load-model arrival, whose lateness is the
  // generator's own timing error and is recorded.
  void schedule(double at_s, std::function<void()> fn, bool arrival) {
    // Every timer issues a request when it fires; past the duration it could not, and would
    // only keep the run waiting (a trace's next line, a long think time).
    if (o_.duration_s > 0 && at_s >= o_.duration_s) return;
    ++num_timers_;
    const auto when = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at_s));
    client_.post_at(when, [this, at_s, arrival, fn = std::move(fn)] {
      --num_timers_;
      if (arrival) result_.cost.timer_lag_s.push_back(std::max(0.0, now_s() - at_s));
      fn();
    });
  }

  void open_arrival(double at_s) {
    schedule(at_s, [this, at_s] {
      if (!may_issue()) return;
      start_session(at_s);
      open_arrival(at_s + arrivals_->next_gap_seconds(rng_));
    }, /*arrival=*/true);
  }

  void trace_arrival() {
    std::optional<SessionPlan> plan = feed_.next();
    if (!plan) return;
    const double at_s = plan->start_at_s;
    auto shared = std::make_shared<SessionPlan>(std::move(*plan));
    schedule(at_s, [this, at_s, shared] {
      if (!may_issue()) return;
      begin_session(std::move(*shared), at_s);
      trace_arrival();
    }, /*arrival=*/true);
  }

  void start_session(double arrival_s) {
    if (!may_issue()) return;
    std::optional<SessionPlan> plan = feed_.next();
    if (!plan) {
      stopped_ = true;  // the workload is used up
      return;
    }
    begin_session(std::move(*plan), arrival_s);
  }

  void begin_session(SessionPlan plan, double arrival_s) {
    auto session = std::make_shared<Session>();
    session->id = num_sessions_++;
    session->plan = std::move(plan);
    turn_ready(std::move(session), arrival_s);
  }

  bool below_cap() const {
    return closed_loop_  // the number of users is the cap
           || o_.concurrency == 0 || num_in_flight_ < o_.concurrency;
  }

  void turn_ready(std::shared_ptr<Session> session, double arrival_s) {
    if (!may_issue()) return;
    ++num_issued_;
    if (below_cap()) {
      send(std::move(session), arrival_s);
    } else {
      waiting_.emplace_back(std::move(session), arrival_s);
    }
  }

  void send(std::shared_ptr<Session> session, double arrival_s) {
    auto ex = std::make_shared<Exchange>();
    ex->turn = session->next_turn++;
    const TurnPlan& turn = session->plan.turns[ex->turn];
    ex->record.session = session->id;
    ex->record.turn = int64_t(ex->turn);
    ex->record.arrival_s = arrival_s;
    ex->record.requested_output_tokens = turn.max_tokens;
    ex->record.prompt_tokens = turn.input_tokens;
    http::ClientRequest request{.method = "POST",
                                .url = o_.url,
                                .headers = headers_,
                                .body = build_request_body(o_.shape, session->plan, ex->turn, session->replies),
                                .timeout = o_.timeout};
    ex->session = std::move(session);
    ++num_in_flight_;
    ex->record.sent_s = now_s();
    client_.start(std::move(request),
                  {.on_head = [ex](int status, const http::Headers&) { ex->record.http_status = status; },
                   .on_body = [this, ex](std::string_view piece) { return on_body(*ex, piece); },
                   .on_done = [this, ex](Status status) { finish(*ex, std::move(status)); }});
  }

  bool on_body(Exchange& ex, std::string_view piece) {
    const double t = now_s();  // one arrival time for every event these bytes complete
    if (ex.record.http_status != 200) {
      ex.error_body.append(piece.substr(0, kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, ex.error_body.size())));
      return true;
    }
    ex.parser.feed(piece, ex.events);
    for (const http::SseEvent& event : ex.events) on_event(ex, event, t);
    ex.events.clear();
    return true;
  }

  void on_event(Exchange& ex, const http::SseEvent& event, double t) {
    ++result_.cost.num_events;
    Result<StreamChunk> chunk = parse_stream_chunk(event.data);
    RequestRecord& r = ex.record;
    if (!chunk) {
      if (r.error_kind.empty()) {
        r.error_kind = "bad_event";
        r.error_message = chunk.status().message() + ": " + event.data.substr(0, 200);
      }
      return;
    }
    if (chunk->done) ex.saw_done = true;
    if (!chunk->error.empty() && r.error_kind.empty()) {
      r.error_kind = "error_event";
      r.error_message = chunk->error;
    }
    if (chunk->has_token) {
      if (r.first_token_s < 0) {
        r.first_token_s = t;
      } else {
        r.itl_s.push_back(float(t - ex.last_token_s));
      }
      ex.last_token_s = t;
      ++r.num_token_events;
      ex.reply += chunk->content;  // what a chat client keeps in the history: no reasoning
    }
    if (chunk->completion_tokens) {
      r.output_tokens = *chunk->completion_tokens;
      r.usage_reported = true;
    }
    if (chunk->prompt_tokens) r.prompt_tokens = *chunk->prompt_tokens;
  }

  void classify(Exchange& ex, const Status& status) {
    RequestRecord& r = ex.record;
    if (!status.is_ok()) {
      r.error_kind = status.code() == ErrorCode::kDeadlineExceeded ? "timeout"
                     : status.code() == ErrorCode::kUnavailable    ? "connect"
                                                                   : "disconnected";
      r.error_message = status.message();
    } else if (r.http_status != 200) {
      r.error_kind = "http_" + std::to_string(r.http_status);
      r.error_message = error_message_of(ex.error_body);
    } else if (r.error_kind.empty() && !ex.saw_done) {
      r.error_kind = "incomplete";
      r.error_message = "the stream ended without [DONE]";
    }
  }

  void finish(Exchange& ex, Status status) {
    RequestRecord& r = ex.record;
    r.done_s = now_s();
    classify(ex, status);
    if (!r.usage_reported) {
      r.output_tokens = o_.text != nullptr && o_.text->counts_exactly()
                            ? o_.text->count_tokens(ex.reply)
                            : r.num_token_events;
      // The whole prompt (system, history, this turn), not just the new turn's text.
      if (o_.text != nullptr)
        r.prompt_tokens = o_.text->count_tokens(prompt_text(ex.session->plan, ex.turn, ex.session->replies));
    }
    const bool ok = r.ok();
    result_.records.push_back(std::move(r));
    --num_in_flight_;
    ++num_done_;
    if (!ok) ++num_failed_;
    output_tokens_ += result_.records.back().output_tokens;
    while (!waiting_.empty() && below_cap()) {
      auto [session, arrival_s] = std::move(waiting_.front());
      waiting_.pop_front();
      send(std::move(session), arrival_s);
    }
    std::shared_ptr<Session> session = std::move(ex.session);
    if (ok && session->next_turn < session->plan.turns.size()) {
      session->replies.push_back(std::move(ex.reply));
      const double at_s = now_s() + session->plan.turns[session->next_turn].think_time_s;
      schedule(at_s, [this, session, at_s] { turn_ready(session, at_s); }, /*arrival=*/false);
    } else if (closed_loop_) {
      start_session(now_s());  // this user starts over
    }
  }

  LoadProgress progress() const {
    return {.elapsed_s = now_s(), .num_issued = num_issued_, .num_in_flight = num_in_flight_,
            .num_done = num_done_, .num_failed = num_failed_, .output_tokens = output_tokens_};
  }

  // Notices an interrupt even while nothing else happens (a trace waiting for its next line):
  // then nothing more is issued, and the run ends when the requests in flight have.
  void watch_interrupt() {
    client_.post_at(Clock::now() + std::chrono::milliseconds(100), [this] {
      if (o_.interrupted->load(std::memory_order_relaxed)) {
        stopped_ = true;
        client_.cancel_timers();  // arrivals, think times, progress: they would issue nothing
        num_timers_ = 0;
        waiting_.clear();
        return;
      }
      if (!finished()) watch_interrupt();
    });
  }

  void schedule_progress() {
    client_.post_at(Clock::now() + o_.progress_interval, [this] {
      if (finished()) return;
      o_.on_progress(progress());
      schedule_progress();
    });
  }

  const LoadOptions& o_;
  Workload& workload_;
  http::AsyncClient& client_;
  SessionFeed feed_;
  Rng rng_;
  std::optional<ArrivalProcess> arrivals_;  // open loop only
  // Users start sessions back to back (no rate, no trace); otherwise arrivals do.
  const bool closed_loop_ = o_.request_rate <= 0 && !workload_.has_timestamps();
  http::Headers headers_;
  http::AsyncClientStats stats_at_start_ = client_.stats();
  Clock::time_point start_;

  bool stopped_ = false;
  int64_t num_timers_ = 0;
  int64_t num_in_flight_ = 0;
  int64_t num_issued_ = 0, num_done_ = 0, num_failed_ = 0, output_tokens_ = 0;
  int64_t num_sessions_ = 0;
  std::deque<std::pair<std::shared_ptr<Session>, double>> waiting_;  // for a slot under the cap
  LoadResult result_;
};

}  // namespace

LoadResult run_load(const LoadOptions& options, Workload& workload, http::AsyncClient& client) {
  return Runner(options, workload, client).run();
}

}  // namespace turbine::loadgen
