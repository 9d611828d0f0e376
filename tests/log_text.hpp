// For tests that read a log file: its records without kvd's checksum lines, each line checked.
#pragma once

#include <string>
#include <string_view>

#include "persist/aof_reader.hpp"
#include "persist/crc64.hpp"

namespace kv::test {

/// The bytes of a log file (or of its part from `from` on; the bytes before are kept as they are)
/// without its checksum lines. Each line is checked against the bytes it covers; a wrong one
/// leaves "<checksum mismatch at N>" in the result, so a comparison with the expected records
/// fails. Records are copied as they are; a record cut short at the end is kept.
inline std::string log_records(std::string_view file, std::size_t from = 0) {
  std::string out(file.substr(0, from));
  std::size_t p = from, chunk = from;
  const auto line_end = [&](std::size_t at) {
    const std::size_t eol = file.find("\r\n", at);
    return eol == std::string_view::npos ? file.size() : eol;
  };
  while (p < file.size()) {
    const std::size_t start = p;
    if (file[p] == '#') {
      const std::size_t nl = file.find('\n', p);
      p = nl == std::string_view::npos ? file.size() : nl + 1;
      const std::string_view line = file.substr(start, p - start);
      if (!line.starts_with(persist::kAofChecksumTag)) {
        out += line;
        continue;
      }
      char want[persist::kAofChecksumLine];
      persist::format_aof_checksum(persist::crc64(0, file.substr(chunk, start - chunk)), want);
      if (line != std::string_view(want, sizeof want)) {
        out += "<checksum mismatch at " + std::to_string(start) + ">";
      }
      chunk = p;
      continue;
    }
    // "*<n>\r\n", then n times "$<len>\r\n<len bytes>\r\n".
    std::size_t eol = line_end(p);
    const std::size_t n = std::stoul("0" + std::string(file.substr(p + 1, eol - p - 1)));
    p = eol + 2;
    for (std::size_t i = 0; i < n && p < file.size(); ++i) {
      eol = line_end(p);
      p = eol + 2 + std::stoul("0" + std::string(file.substr(p + 1, eol - p - 1))) + 2;
    }
    p = std::min(p, file.size());
    out += file.substr(start, p - start);
  }
  return out;
}

}  // namespace kv::test
