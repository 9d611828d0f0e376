// RDB file format constants: opcodes, value types and length encodings, as Redis 7.0 defines them.
#pragma once

#include <cstdint>
#include <string_view>

namespace kv::persist::rdb {

/// The RDB version kvd writes (Redis 7.0's).
inline constexpr int kVersion = 10;
/// The newest RDB version the reader accepts (Redis 7.2's 11 only adds value types).
inline constexpr int kMaxReadVersion = 11;
/// The first version whose files end with a CRC-64 trailer.
inline constexpr int kFirstChecksumVersion = 5;
/// The version kvd's AUX field redis-ver announces (the Redis whose files kvd's match).
inline constexpr std::string_view kRedisVersion = "7.0.15";

/// Opcodes that may stand where a value type is expected.
enum Opcode : std::uint8_t {
  kOpFunction2 = 245,     ///< A function library (Redis 7.0 FUNCTION2).
  kOpFunction = 246,      ///< A function library (pre-GA 7.0 format).
  kOpModuleAux = 247,     ///< Module auxiliary data.
  kOpIdle = 248,          ///< LRU idle time of the next key (length-encoded seconds).
  kOpFreq = 249,          ///< LFU counter of the next key (one byte).
  kOpAux = 250,           ///< An AUX field: name string, value string.
  kOpResizeDb = 251,      ///< Hash table size hints: key count, expires count.
  kOpExpireTimeMs = 252,  ///< Deadline of the next key: 8-byte little-endian Unix ms.
  kOpExpireTime = 253,    ///< Deadline of the next key: 4-byte little-endian Unix seconds.
  kOpSelectDb = 254,      ///< The database the following keys belong to.
  kOpEof = 255,           ///< End of the data; the checksum follows.
};

/// Value types (the byte before a key).
enum Type : std::uint8_t {
  kTypeString = 0,             ///< A string: one encoded string.
  kTypeList = 1,               ///< Linked list: count, then strings.
  kTypeSet = 2,                ///< Hash table set: count, then strings.
  kTypeZset = 3,               ///< Sorted set: count, then (string, text double).
  kTypeHash = 4,               ///< Hash: count, then (field, value) strings.
  kTypeZset2 = 5,              ///< Sorted set: count, then (string, binary double).
  kTypeModulePreGa = 6,        ///< Module value (pre-GA format).
  kTypeModule2 = 7,            ///< Module value.
  kTypeHashZipmap = 9,         ///< Hash as a zipmap blob.
  kTypeListZiplist = 10,       ///< List as a ziplist blob.
  kTypeSetIntset = 11,         ///< Set as an intset blob.
  kTypeZsetZiplist = 12,       ///< Sorted set as a ziplist blob.
  kTypeHashZiplist = 13,       ///< Hash as a ziplist blob.
  kTypeListQuicklist = 14,     ///< Quicklist: count, then ziplist blobs.
  kTypeStreamListpacks = 15,   ///< Stream (RDB 9).
  kTypeHashListpack = 16,      ///< Hash as a listpack blob.
  kTypeZsetListpack = 17,      ///< Sorted set as a listpack blob.
  kTypeListQuicklist2 = 18,    ///< Quicklist: count, then (container kind, listpack blob).
  kTypeStreamListpacks2 = 19,  ///< Stream (RDB 10).
  kTypeSetListpack = 20,       ///< Set as a listpack blob (RDB 11).
  kTypeStreamListpacks3 = 21,  ///< Stream (RDB 11).
};

/// The two top bits of the first byte of a length.
enum LengthKind : std::uint8_t {
  kLen6Bit = 0,     ///< 00xxxxxx: a 6-bit length.
  kLen14Bit = 1,    ///< 01xxxxxx xxxxxxxx: a 14-bit big-endian length.
  kLenWide = 2,     ///< 10000000 (32-bit) or 10000001 (64-bit) big-endian length follows.
  kLenEncoded = 3,  ///< 11xxxxxx: a specially encoded string (kEnc*) follows.
};

/// First byte of a 32-bit length.
inline constexpr std::uint8_t kLen32 = 0x80;
/// First byte of a 64-bit length.
inline constexpr std::uint8_t kLen64 = 0x81;

/// Special string encodings (low 6 bits of a kLenEncoded byte).
enum StringEncoding : std::uint8_t {
  kEncInt8 = 0,   ///< A signed 8-bit integer follows.
  kEncInt16 = 1,  ///< A signed 16-bit little-endian integer follows.
  kEncInt32 = 2,  ///< A signed 32-bit little-endian integer follows.
  kEncLzf = 3,    ///< Compressed length, original length, then LZF data.
};

/// Strings longer than this are LZF-compressed when compression is on (as Redis does).
inline constexpr std::size_t kLzfMinLength = 20;
/// Strings of at most this many bytes are tried as integers (Redis's rdbTryIntegerEncoding).
inline constexpr std::size_t kIntMaxLength = 11;

/// The name Redis's TYPE command gives values of RDB type `t` ("list", ...), or "unknown".
std::string_view type_name(std::uint8_t t);

}  // namespace kv::persist::rdb
