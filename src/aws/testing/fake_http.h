// A scripted HttpClient for tests: returns queued replies in order and records every request.
#pragma once

#include <deque>
#include <mutex>

#include "aws/internal.h"

namespace schemaport::aws::testing {

class ScriptedHttpClient final : public HttpClient {
 public:
  // Queues a reply. When the queue is empty, Send fails with kInternal.
  void Reply(int status, std::string body, Headers headers = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    replies_.emplace_back(std::move(r));
  }
  void Fail(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    replies_.emplace_back(std::move(status));
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (replies_.empty()) return Internal("no scripted reply left");
    Result<HttpResponse> r = std::move(replies_.front());
    replies_.pop_front();
    return r;
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return replies_.size();
  }

 private:
  mutable std::mutex mu_;
  std::deque<Result<HttpResponse>> replies_;
  std::vector<HttpRequest> requests_;
};

inline std::string HeaderOf(const HttpRequest& r, std::string_view name) {
  return FindHeader(r.headers, name).value_or("");
}

}  // namespace schemaport::aws::testing
