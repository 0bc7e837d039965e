// Access to the models embedded by the generated embedded_models.cc.
#include "aws/internal.h"

namespace schemaport::aws {
namespace internal {
struct EmbeddedModelEntry {
  const char* name;
  std::pair<const char*, const char*> bytes;
};
extern const EmbeddedModelEntry kEmbeddedModels[];
extern const int kEmbeddedModelCount;
}  // namespace internal

std::string_view EmbeddedModelJson(std::string_view service) {
  for (int i = 0; i < internal::kEmbeddedModelCount; ++i) {
    const auto& e = internal::kEmbeddedModels[i];
    if (service == e.name) {
      return {e.bytes.first, static_cast<size_t>(e.bytes.second - e.bytes.first)};
    }
  }
  return {};
}

std::vector<std::string> EmbeddedModelNames() {
  std::vector<std::string> out;
  for (int i = 0; i < internal::kEmbeddedModelCount; ++i)
    out.emplace_back(internal::kEmbeddedModels[i].name);
  return out;
}

Result<ServiceModel> EmbeddedModel(std::string_view service) {
  const std::string_view text = EmbeddedModelJson(service);
  if (text.empty()) return NotFound("no embedded AWS model named " + std::string(service));
  return ServiceModel::Load(text);
}

}  // namespace schemaport::aws
