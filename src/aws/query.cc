// The awsQuery protocol: form-encoded requests and XML replies, read with libxml2.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cmath>
#include <mutex>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

using nlohmann::json;

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDoc = std::unique_ptr<xmlDoc, DocDeleter>;

// Parses without network access, DTD loading or entity expansion beyond the predefined ones and
// character references, and without printing anything.
XmlDoc ParseXml(std::string_view text) {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
  if (text.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  return XmlDoc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "reply.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

bool NameIs(const xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE &&
         std::string_view(reinterpret_cast<const char*>(n->name)) == name;
}

const xmlNode* Child(const xmlNode* parent, std::string_view name) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (NameIs(c, name)) return c;
  }
  return nullptr;
}

// Depth-first search for the first element of that name.
const xmlNode* Find(const xmlNode* node, std::string_view name) {
  for (const xmlNode* c = node; c; c = c->next) {
    if (NameIs(c, name)) return c;
    if (const xmlNode* inner = Find(c->children, name)) return inner;
  }
  return nullptr;
}

std::string Text(const xmlNode* n) {
  if (n == nullptr) return {};
  xmlChar* content = xmlNodeGetContent(n);
  std::string out = content ? reinterpret_cast<const char*>(content) : "";
  xmlFree(content);
  return out;
}

std::string Trim(std::string s) {
  const auto not_space = [](char c) { return c != ' ' && c != '\n' && c != '\r' && c != '\t'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string FormEncode(std::string_view s) {
  return sigv4::UriEncode(s, false);
}

class QueryWriter {
 public:
  explicit QueryWriter(const json& shapes) : shapes_(shapes) {}

  Status Write(const std::string& shape_name, const json& value, const std::string& prefix) {
    const json& shape = shapes_.at(shape_name);
    const std::string type = shape.value("type", "");
    if (type == "structure") {
      if (!value.is_object()) return InvalidArgument(prefix + ": must be an object");
      for (const auto& [name, member] : shape["members"].items()) {
        if (!value.contains(name) || value[name].is_null()) continue;
        const std::string key = member.value("locationName", name);
        SP_TRY(Write(member["shape"], value[name], prefix.empty() ? key : prefix + "." + key));
      }
    } else if (type == "list") {
      if (!value.is_array()) return InvalidArgument(prefix + ": must be a list");
      if (value.empty()) {
        Add(prefix, "");  // an empty list is sent as "Name="
        return Status::Ok();
      }
      const json& member = shape["member"];
      const bool flattened = shape.value("flattened", false);
      const std::string item = member.value("locationName", "member");
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string key = flattened ? prefix + "." + std::to_string(i + 1)
                                          : prefix + "." + item + "." + std::to_string(i + 1);
        SP_TRY(Write(member["shape"], value[i], key));
      }
    } else if (type == "map") {
      if (!value.is_object()) return InvalidArgument(prefix + ": must be a map");
      size_t i = 0;
      const std::string kname = shape["key"].value("locationName", "key");
      const std::string vname = shape["value"].value("locationName", "value");
      for (const auto& [k, v] : value.items()) {
        const std::string base = prefix + ".entry." + std::to_string(++i);
        Add(base + "." + kname, k);
        SP_TRY(Write(shape["value"]["shape"], v, base + "." + vname));
      }
    } else if (type == "boolean") {
      Add(prefix, value.get<bool>() ? "true" : "false");
    } else if (type == "integer" || type == "long") {
      Add(prefix, std::to_string(value.get<long long>()));
    } else if (type == "double" || type == "float") {
      Add(prefix, value.dump());
    } else if (type == "timestamp" && value.is_number()) {
      Add(prefix, FormatIso8601(Clock::TimePoint(std::chrono::seconds(value.get<long long>()))));
    } else {
      if (!value.is_string()) return InvalidArgument(prefix + ": must be a string");
      Add(prefix, value.get<std::string>());
    }
    return Status::Ok();
  }

  std::string body;

 private:
  void Add(const std::string& key, std::string_view value) {
    body += '&';
    body += FormEncode(key);
    body += '=';
    body += FormEncode(value);
  }
  const json& shapes_;
};

class XmlReader {
 public:
  explicit XmlReader(const json& shapes) : shapes_(shapes) {}

  json Read(const std::string& shape_name, const xmlNode* node, int depth) const {
    const json& shape = shapes_.at(shape_name);
    const std::string type = shape.value("type", "");
    if (depth > 64 || node == nullptr) return nullptr;
    if (type == "structure") {
      json out = json::object();
      for (const auto& [name, member] : shape["members"].items()) {
        const std::string element = member.value("locationName", name);
        const json& member_shape = shapes_.at(member["shape"].get<std::string>());
        if (member_shape.value("type", "") == "list" && member_shape.value("flattened", false)) {
          json list = json::array();
          for (const xmlNode* c = node->children; c; c = c->next) {
            if (NameIs(c, element))
              list.push_back(Read(member_shape["member"]["shape"], c, depth + 1));
          }
          if (!list.empty()) out[name] = std::move(list);
          continue;
        }
        if (const xmlNode* c = Child(node, element))
          out[name] = Read(member["shape"], c, depth + 1);
      }
      return out;
    }
    if (type == "list") {
      json out = json::array();
      const std::string item = shape["member"].value("locationName", "member");
      for (const xmlNode* c = node->children; c; c = c->next) {
        if (NameIs(c, item)) out.push_back(Read(shape["member"]["shape"], c, depth + 1));
      }
      return out;
    }
    if (type == "map") {
      json out = json::object();
      const std::string kname = shape["key"].value("locationName", "key");
      const std::string vname = shape["value"].value("locationName", "value");
      for (const xmlNode* c = node->children; c; c = c->next) {
        if (!NameIs(c, "entry")) continue;
        out[Text(Child(c, kname))] = Read(shape["value"]["shape"], Child(c, vname), depth + 1);
      }
      return out;
    }
    const std::string text = Text(node);
    if (type == "boolean") return Trim(text) == "true";
    if (type == "integer" || type == "long") {
      const std::optional<std::int64_t> n = ParseInt64(Trim(text));
      return n ? json(*n) : json(nullptr);
    }
    if (type == "double" || type == "float") {
      const std::optional<double> d = ParseDouble(Trim(text));
      return d ? json(*d) : json(nullptr);
    }
    if (type == "timestamp") return Trim(text);
    return text;
  }

 private:
  const json& shapes_;
};

}  // namespace

AwsError ParseQueryError(const HttpResponse& response) {
  AwsError e;
  e.http_status = response.status;
  e.request_id = response.Header("x-amzn-RequestId").value_or("");
  if (XmlDoc doc = ParseXml(response.body)) {
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (const xmlNode* error = Find(root, "Error")) {
      e.code = Trim(Text(Child(error, "Code")));
      e.message = Trim(Text(Child(error, "Message")));
    }
    const xmlNode* rid = Find(root, "RequestId");
    if (rid == nullptr) rid = Find(root, "RequestID");
    if (rid != nullptr && e.request_id.empty()) e.request_id = Trim(Text(rid));
  }
  if (e.code.empty()) e.code = "HttpStatus" + std::to_string(response.status);
  Classify(e);
  return e;
}

Result<std::string> QueryFormBody(const ServiceModel& model, std::string_view operation,
                                  const json& input) try {
  const json& doc = model.document();
  if (!doc["operations"].contains(operation)) {
    return InvalidArgument("unknown operation " + std::string(operation));
  }
  const json& op = doc["operations"][std::string(operation)];
  QueryWriter writer(doc["shapes"]);
  if (op.contains("input") && input.is_object() && !input.empty()) {
    SP_TRY(writer.Write(op["input"]["shape"], input, ""));
  }
  return "Action=" + FormEncode(operation) +
         "&Version=" + FormEncode(model.metadata().api_version) + writer.body;
} catch (const json::exception& e) {
  // A value of the wrong JSON type for its shape (inputs are validated first, so a model bug).
  return InvalidArgument("cannot encode the " + std::string(operation) + " input", e.what());
}

Result<json> QueryXmlToJson(const ServiceModel& model, std::string_view operation,
                            std::string_view xml) try {
  const json& doc = model.document();
  if (!doc["operations"].contains(operation)) {
    return InvalidArgument("unknown operation " + std::string(operation));
  }
  const json& op = doc["operations"][std::string(operation)];
  XmlDoc parsed = ParseXml(xml);
  if (!parsed) return Unavailable("malformed XML reply to " + std::string(operation));
  const xmlNode* root = xmlDocGetRootElement(parsed.get());
  if (root == nullptr) return Unavailable("empty XML reply to " + std::string(operation));
  if (!op.contains("output")) return json::object();
  const xmlNode* result = root;
  if (op["output"].contains("resultWrapper")) {
    result = Child(root, op["output"]["resultWrapper"].get<std::string>());
    if (result == nullptr) {
      return Unavailable("XML reply to " + std::string(operation) + " lacks " +
                         op["output"]["resultWrapper"].get<std::string>());
    }
  }
  json out = XmlReader(doc["shapes"]).Read(op["output"]["shape"], result, 0);
  if (const xmlNode* rid = Find(root, "RequestId"))
    out["ResponseMetadata"]["RequestId"] = Trim(Text(rid));
  return out;
} catch (const json::exception& e) {
  return Unavailable("malformed XML reply to " + std::string(operation), e.what());
}

}  // namespace schemaport::aws
