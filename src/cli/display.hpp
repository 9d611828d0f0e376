// How kv shows bytes and statistics to a person.
#pragma once

#include <string>
#include <string_view>

namespace kv::cli {

/// `bytes` as redis-cli shows them, without its quotes: \n \r \t \a \b \" \\ escaped, other bytes
/// outside printable ASCII as \xHH (lower-case hex); an empty string as "".
std::string escape(std::string_view bytes);

/// The `kv metrics` lines for an INFO reply's text: the store's counters first, then the server's,
/// "Label: value" each, "n/a" for a field the reply lacks.
std::string format_metrics(std::string_view info);

}  // namespace kv::cli
