// The AOF manifest: Redis 7.0's line format, file names, and the atomic replace used to write it.
#include "persist/manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "proto/request_parser.hpp"

namespace kv::persist {
namespace {

bool is_printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7f;
}
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (const char c : s) {
    if (c == '\\' || c == '"' || c == ' ' || !is_printable(c)) return true;
  }
  return false;
}

// A value as shown in an error message.
std::string shown(std::string_view s) {
  std::string out = "'";
  proto::append_escaped(out, s.substr(0, 64));
  if (s.size() > 64) out += "...";
  out += "'";
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

bool parse_seq(std::string_view s, std::int64_t& seq) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seq);
  return ec == std::errc() && end == s.data() + s.size() && seq > 0;
}

// Reads the key/value pairs of one non-comment line into `info`.
bool parse_line(std::string_view line, AofFileInfo& info, std::string& why) {
  if (line.find('\0') != std::string_view::npos) {
    why = "NUL byte in the line";
    return false;
  }
  std::vector<std::string> words;
  if (!proto::split_inline_args(line, words)) {
    why = "unbalanced quotes";
    return false;
  }
  // Fewer than 6 words or an odd count is malformed; more pairs are accepted and ignored, for
  // manifests written by later versions (as Redis does).
  if (words.size() < 6 || words.size() % 2 != 0) {
    why = "expected pairs 'file <name> seq <n> type <t>', got " + std::to_string(words.size()) +
          " words";
    return false;
  }
  bool has_name = false, has_seq = false, has_type = false;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    const std::string& value = words[i + 1];
    if (iequals(words[i], "file")) {
      if (value.empty() || value == "." || value == ".." ||
          value.find_first_of("/\\") != std::string::npos) {
        why = "file name " + shown(value) + " is not a bare file name";
        return false;
      }
      info.name = value;
      has_name = true;
    } else if (iequals(words[i], "seq")) {
      if (!parse_seq(value, info.seq)) {
        why = "invalid seq " + shown(value);
        return false;
      }
      has_seq = true;
    } else if (iequals(words[i], "type")) {
      if (value.size() != 1 || (value[0] != 'b' && value[0] != 'h' && value[0] != 'i')) {
        why = "unknown file type " + shown(value);
        return false;
      }
      info.type = static_cast<AofFileType>(value[0]);
      has_type = true;
    }
  }
  if (!has_name || !has_seq || !has_type) {
    why = !has_name ? "missing file name" : !has_seq ? "missing seq" : "missing type";
    return false;
  }
  return true;
}

// Adds a parsed line to the manifest, checking the rules that span lines.
bool add_file(AofManifest& m, AofFileInfo info, std::string& why) {
  switch (info.type) {
    case AofFileType::base:
      if (m.base) {
        why =
            "a second base file " + shown(info.name) + " (the base is " + shown(m.base->name) + ")";
        return false;
      }
      m.base = std::move(info);
      return true;
    case AofFileType::history:
      m.history.push_back(std::move(info));
      return true;
    case AofFileType::incr:
      if (!m.incrs.empty() && info.seq <= m.incrs.back().seq) {
        why = "incr seq " + std::to_string(info.seq) + " does not follow " +
              std::to_string(m.incrs.back().seq);
        return false;
      }
      m.incrs.push_back(std::move(info));
      return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kTrim = " \t\r\n";
  const std::size_t b = s.find_first_not_of(kTrim);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kTrim) - b + 1);
}

void append_line(std::string& out, const AofFileInfo& f) {
  out += "file ";
  if (needs_quotes(f.name)) {
    out.push_back('"');
    proto::append_escaped(out, f.name);
    out.push_back('"');
  } else {
    out += f.name;
  }
  out += " seq ";
  out += std::to_string(f.seq);
  out += " type ";
  out.push_back(static_cast<char>(f.type));
  out.push_back('\n');
}

bool sys_fail(std::string& error, const std::string& what, int err) {
  error = what + ": " + std::generic_category().message(err);
  return false;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

bool parse_manifest(std::string_view text, AofManifest& out, std::string& error) {
  out = {};
  if (text.empty()) {
    error = "line 1: empty manifest";
    return false;
  }
  std::size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    const auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(line_no) + ": " + why;
      return false;
    };
    if (!line.empty() && line[0] == '#') continue;
    if (line.size() + 1 > kManifestMaxLine) {
      return fail("line longer than " + std::to_string(kManifestMaxLine) + " bytes");
    }
    if (nl == std::string_view::npos) return fail("no newline at the end of the last line");
    const std::string_view trimmed = trim(line);
    if (trimmed.empty()) return fail("blank line");
    AofFileInfo info;
    std::string why;
    if (!parse_line(trimmed, info, why) || !add_file(out, std::move(info), why)) return fail(why);
  }
  return true;
}

std::string format_manifest(const AofManifest& m) {
  std::string out;
  if (m.base) append_line(out, *m.base);
  for (const AofFileInfo& f : m.history) append_line(out, f);
  for (const AofFileInfo& f : m.incrs) append_line(out, f);
  return out;
}

std::string aof_base_name(std::string_view prefix, std::int64_t seq, bool rdb) {
  return std::string(prefix) + "." + std::to_string(seq) + (rdb ? ".base.rdb" : ".base.aof");
}

std::string aof_incr_name(std::string_view prefix, std::int64_t seq) {
  return std::string(prefix) + "." + std::to_string(seq) + ".incr.aof";
}

std::string aof_manifest_name(std::string_view prefix) { return std::string(prefix) + ".manifest"; }

bool fsync_dir(const std::string& dir, std::string& error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_fail(error, "open folder " + dir, errno);
  // Some file systems cannot fsync a folder (EINVAL); there is nothing more to do on them.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    return sys_fail(error, "fsync folder " + dir, err);
  }
  ::close(fd);
  return true;
}

bool write_file_atomically(const std::string& path, std::string_view bytes, std::string& error) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_fail(error, "open " + tmp, errno);
  const auto fail_tmp = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return sys_fail(error, what, err);
  };
  if (!write_all(fd, bytes)) {
    const int err = errno;
    ::close(fd);
    return fail_tmp("write " + tmp, err);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return fail_tmp("fsync " + tmp, err);
  }
  if (::close(fd) != 0) return fail_tmp("close " + tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail_tmp("rename " + tmp + " to " + path, errno);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return fsync_dir(dir, error);
}

}  // namespace kv::persist
