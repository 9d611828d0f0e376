// Redis's CRC-64: the checksum trailer of RDB files (and of DUMP payloads).
#pragma once

#include <cstdint>
#include <string_view>

namespace kv::persist {

/// Extends `crc` over `data` with Redis's CRC-64: the Jones polynomial 0xad93d23594c935a9,
/// reflected input and output, no final xor. Start with 0; crc64(0, "123456789") is
/// 0xe9c6d914c4b8d9ca. crc64(crc64(0, a), b) == crc64(0, a + b). Thread-safe.
std::uint64_t crc64(std::uint64_t crc, std::string_view data);

}  // namespace kv::persist
