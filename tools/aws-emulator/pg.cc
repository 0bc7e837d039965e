#include "pg.h"

namespace schemaport::emulator {

std::string PgErrorText(const PGresult* result, PGconn* conn) {
  if (result) {
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (primary) return fmt::format("{}: {}", severity ? severity : "ERROR", primary);
  }
  std::string text = conn ? PQerrorMessage(conn) : "connection failed";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

PgConn::PgConn(PGconn* c) : conn_(c) {
  cancel_ = PQgetCancel(conn_);
}

PgConn::~PgConn() {
  {
    std::lock_guard<std::mutex> lock(cancel_mu_);
    if (cancel_) PQfreeCancel(cancel_);
    cancel_ = nullptr;
  }
  PQfinish(conn_);
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const PostgresConfig& server,
                                                const std::string& dbname, const std::string& user,
                                                const Secret& password) {
  std::string port = std::to_string(server.port);
  std::vector<const char*> keys = {
      "host", "port", "dbname", "user", "connect_timeout", "application_name"};
  std::vector<const char*> values = {server.host.c_str(), port.c_str(), dbname.c_str(),
                                     user.c_str(),        "10",         "aws-emulator"};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.Reveal().c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!c) return Unavailable("cannot allocate a PostgreSQL connection");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string text = PgErrorText(nullptr, c);
    PQfinish(c);
    return Unavailable(text);
  }
  return std::unique_ptr<PgConn>(new PgConn(c));
}

Result<PgResult> PgConn::Exec(const std::string& sql,
                              const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                          values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
  if (!r.get()) return Unavailable(PgErrorText(nullptr, conn_));
  ExecStatusType st = PQresultStatus(r.get());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return r;
  if (PQstatus(conn_) != CONNECTION_OK) return Unavailable(PgErrorText(r.get(), conn_));
  const char* sqlstate = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
  Code code = Code::kFailedPrecondition;
  if (sqlstate && std::string_view(sqlstate) == "57014") code = Code::kCancelled;
  return Status(code, PgErrorText(r.get(), conn_), sqlstate ? sqlstate : "");
}

Status PgConn::Run(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  SP_TRY(Exec(sql, params));
  return Status::Ok();
}

Status PgConn::RunScript(const std::string& sql) {
  PgResult r(PQexec(conn_, sql.c_str()));
  if (!r.get()) return Unavailable(PgErrorText(nullptr, conn_));
  ExecStatusType st = PQresultStatus(r.get());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
    return Status::Ok();
  return Status(Code::kFailedPrecondition, PgErrorText(r.get(), conn_));
}

namespace {
void CollectParseTrees(void* arg, const PGresult* res) {
  const char* message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
  if (message && detail && std::string_view(message) == "parse tree:") {
    static_cast<std::string*>(arg)->append(detail).push_back('\n');
  }
}
}  // namespace

Result<std::string> PgConn::ParseTree(const std::string& sql, int params) {
  SP_TRY(Run("SET client_min_messages = log"));
  SP_TRY(Run("SET debug_print_parse = on"));
  std::string tree;
  PQnoticeReceiver previous = PQsetNoticeReceiver(conn_, CollectParseTrees, &tree);
  PgResult r(PQprepare(conn_, "", sql.c_str(), params, nullptr));
  // RESET is itself parsed while debug_print_parse is on: its tree goes to `scratch`.
  std::string scratch;
  PQsetNoticeReceiver(conn_, CollectParseTrees, &scratch);
  Status reset = Run("RESET debug_print_parse");
  if (reset.ok()) reset = Run("RESET client_min_messages");
  PQsetNoticeReceiver(conn_, previous, nullptr);
  if (!r.get()) return Unavailable(PgErrorText(nullptr, conn_));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    const char* sqlstate = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    return Status(Code::kFailedPrecondition, PgErrorText(r.get(), conn_), sqlstate ? sqlstate : "");
  }
  SP_TRY(reset);
  return tree;
}

void PgConn::Cancel() {
  std::lock_guard<std::mutex> lock(cancel_mu_);
  if (!cancel_) return;
  char err[256];
  (void)PQcancel(cancel_, err, sizeof(err));
}

}  // namespace schemaport::emulator
