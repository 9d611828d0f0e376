// libFuzzer target for the readers of kvd's files: the log's command reader, the manifest parser
// and the RDB reader. Whatever the bytes, none may crash, read outside its input, or report a
// result that contradicts itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "persist/aof_reader.hpp"
#include "persist/manifest.hpp"
#include "persist/rdb.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::uint64_t seen = 0;
  const kv::persist::AofReadResult r =
      kv::persist::read_aof(input, [&](std::span<const kv::persist::AofCommand> unit) {
        for (const auto& command : unit) {
          for (std::string_view arg : command) seen += arg.size();
        }
        return true;
      });
  if (r.valid_bytes > size || seen > size) std::abort();
  if (r.status == kv::persist::AofReadStatus::ok && r.valid_bytes != size) std::abort();

  kv::persist::AofManifest manifest;
  std::string error;
  if (kv::persist::parse_manifest(input, manifest, error)) {
    // What parses must format and parse back to the same manifest, unless escaping made a line
    // longer than a manifest line may be, or it names no file (only comments: Redis accepts it,
    // but an empty text is refused).
    const std::string text = kv::persist::format_manifest(manifest);
    bool short_lines = true;
    for (std::size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      short_lines = short_lines && nl - start + 1 <= kv::persist::kManifestMaxLine;
    }
    kv::persist::AofManifest again;
    const bool any_file = manifest.base || !manifest.incrs.empty() || !manifest.history.empty();
    if (short_lines && any_file &&
        (!kv::persist::parse_manifest(text, again, error) || !(again == manifest)))
      std::abort();
  }

  kv::persist::RdbReader reader({.skip_unsupported_types = true, .verify_checksum = true});
  const kv::persist::RdbStatus status = reader.read(input, [&](const kv::persist::RdbEntry& e) {
    if (e.key.size() > (1u << 30) || e.value.size() > (1u << 30)) std::abort();
  });
  if (!status.ok() && status.offset > size) std::abort();
  return 0;
}
