// libFuzzer target for RequestParser. The first input byte chooses how the rest is cut into reads;
// the rest is parsed once whole and once fed read by read as a connection feeds it. Both must give
// the same commands and the same error, and no parse() may claim more bytes than it was given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/request_parser.hpp"

namespace {

using kv::proto::ParseResult;
using kv::proto::ParseStatus;
using kv::proto::RequestParser;

// Everything a connection observes while parsing one input.
struct Outcome {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::size_t> consumed;
  bool failed = false;
  std::string error;
  std::size_t pending = 0;

  bool operator==(const Outcome&) const = default;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "request_parser_fuzz: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// Parses `input` as a connection would, given it in reads of the sizes `first`, then `step` each:
// it appends each read to its buffer, parses every complete command, and after need_more drops
// the consumed bytes (the partial command moves) and calls again with the same start.
Outcome feed(std::string_view input, std::size_t first, std::size_t step,
             std::int64_t max_bulk_len) {
  RequestParser parser(max_bulk_len);
  Outcome out;
  std::string buffer;
  std::size_t start = 0;
  std::size_t fed = 0;
  while (fed < input.size()) {
    const std::size_t n = std::min(fed == 0 ? first : step, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    while (start < buffer.size()) {
      const std::string_view window = std::string_view(buffer).substr(start);
      const ParseResult r = parser.parse(window);
      check(r.consumed <= window.size(), "consumed exceeds the input");
      if (r.status == ParseStatus::error) {
        check(r.consumed == 0, "error consumed bytes");
        check(!parser.error().empty(), "error without text");
        out.failed = true;
        out.error = std::string(parser.error());
        return out;
      }
      if (r.status == ParseStatus::need_more) {
        check(r.consumed == 0, "need_more consumed bytes");
        break;
      }
      check(r.status == ParseStatus::command, "unknown status");
      check(r.consumed > 0, "command consumed nothing");
      std::vector<std::string> args;
      for (const std::string_view a : parser.args()) args.emplace_back(a);
      out.commands.push_back(std::move(args));
      out.consumed.push_back(r.consumed);
      start += r.consumed;
    }
    buffer.erase(0, start);
    start = 0;
  }
  out.pending = buffer.size();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  // Past 64 KiB without a line end the outcome depends on the reads, in Redis as here.
  if (input.size() > kv::proto::kInlineMax) return 0;

  // The first read ends at a point scaled from the control byte; later reads are 1 to 8 bytes.
  const std::size_t first = std::max<std::size_t>(1, input.size() * control / 255);
  const std::size_t step = 1 + (control & 7);
  // Low control values also try a small proto-max-bulk-len, to reach "invalid bulk length".
  const std::int64_t max_bulk_len = control < 32 ? 16 : kv::proto::kDefaultMaxBulkLen;

  const Outcome whole = feed(input, input.size(), input.size(), max_bulk_len);
  const Outcome pieces = feed(input, first, step, max_bulk_len);
  check(pieces == whole, "fragmented and whole parses differ");

  std::size_t total = whole.pending;
  for (const std::size_t c : whole.consumed) total += c;
  check(whole.failed || total == input.size(), "consumed plus pending is not the input");
  return 0;
}
