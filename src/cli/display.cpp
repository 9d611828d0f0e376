#include "cli/display.hpp"

#include <cstdio>

#include "proto/request_parser.hpp"

namespace kv::cli {

namespace {

struct Metric {
  std::string_view label;  // What kv prints.
  std::string_view field;  // The INFO field it comes from.
};

constexpr Metric kMetrics[] = {
    {"Keys Stored", "keys_stored"},
    {"Bytes Stored (Values)", "bytes_stored"},
    {"Set Operations", "set_ops"},
    {"Get Operations", "get_ops"},
    {"Delete Operations", "delete_ops"},
    {"Commands Processed", "total_commands_processed"},
    {"Connected Clients", "connected_clients"},
    {"Total Connections", "total_connections_received"},
    {"Used Memory (RSS)", "used_memory_rss"},
    {"Uptime (s)", "uptime_in_seconds"},
};

// The value of "field:value" in INFO's CRLF-separated lines; "n/a" if absent.
std::string_view info_field(std::string_view info, std::string_view field) {
  while (!info.empty()) {
    const std::size_t eol = info.find('\n');
    std::string_view line = info.substr(0, eol);
    info.remove_prefix(eol == std::string_view::npos ? info.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':') {
      return line.substr(field.size() + 1);
    }
  }
  return "n/a";
}

}  // namespace

std::string escape(std::string_view bytes) {
  if (bytes.empty()) return "\"\"";
  std::string out;
  out.reserve(bytes.size());
  proto::append_escaped(out, bytes);
  return out;
}

std::string format_metrics(std::string_view info) {
  std::string out;
  for (const Metric& m : kMetrics) {
    out.append(m.label).append(": ").append(info_field(info, m.field)).append("\n");
  }
  return out;
}

}  // namespace kv::cli
