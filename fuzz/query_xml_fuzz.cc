// libFuzzer target: the awsQuery XML reader (STS and redshift replies, and their error replies).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/internal.h"

namespace sp = schemaport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sp::aws::ServiceModel sts = sp::aws::EmbeddedModel("sts").value();
  static const sp::aws::ServiceModel redshift = sp::aws::EmbeddedModel("redshift").value();
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  (void)sp::aws::QueryXmlToJson(sts, "AssumeRole", xml);
  (void)sp::aws::QueryXmlToJson(sts, "GetCallerIdentity", xml);
  (void)sp::aws::QueryXmlToJson(redshift, "GetClusterCredentials", xml);
  (void)sp::aws::QueryXmlToJson(redshift, "GetClusterCredentialsWithIAM", xml);
  sp::aws::HttpResponse reply;
  reply.status = 400;
  reply.body = std::string(xml);
  (void)sp::aws::ParseQueryError(reply);
  return 0;
}
