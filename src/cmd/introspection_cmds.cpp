// COMMAND and its subcommands, answered from the command table itself.
#include <string>

#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"

namespace kv::cmd {
namespace {

constexpr std::pair<Flag, std::string_view> kFlagNames[] = {
    {kWrite, "write"},          {kReadonly, "readonly"},
    {kDenyOom, "denyoom"},      {kAdmin, "admin"},
    {kNoScript, "noscript"},    {kLoading, "loading"},
    {kStale, "stale"},          {kFast, "fast"},
    {kNoAuth, "no_auth"},       {kNoMulti, "no_multi"},
    {kAllowBusy, "allow_busy"}, {kSkipSlowlog, "skip_slowlog"},
};

std::vector<std::string_view> acl_categories(const CommandSpec& spec) {
  std::vector<std::string_view> cats;
  for (std::string_view rest = spec.acl; !rest.empty();) {
    const std::size_t space = rest.find(' ');
    cats.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  return cats;
}

void write_info(const CommandSpec& spec, proto::ReplyWriter& out) {
  out.array(10);
  out.bulk(spec.name);
  out.integer(spec.arity);
  std::size_t nflags = 0;
  for (const auto& [bit, name] : kFlagNames) nflags += (spec.flags & bit) ? 1 : 0;
  out.set(nflags);
  for (const auto& [bit, name] : kFlagNames) {
    if (spec.flags & bit) out.simple(name);
  }
  out.integer(spec.first_key);
  out.integer(spec.last_key);
  out.integer(spec.step);
  const auto cats = acl_categories(spec);
  out.set(cats.size());
  for (const auto& c : cats) out.simple(c);
  // Redis replies an empty set for tips, key specifications and a command without subcommands.
  out.set(0);  // Tips.
  out.set(0);  // Key specifications.
  if (spec.subcommands.empty()) {
    out.set(0);
    return;
  }
  out.array(spec.subcommands.size());
  for (const CommandSpec& sub : spec.subcommands) write_info(sub, out);
}

void write_docs(const CommandSpec& spec, proto::ReplyWriter& out) {
  out.map(spec.subcommands.empty() ? 2 : 3);
  out.bulk("summary");
  out.bulk(spec.summary);
  out.bulk("group");
  out.bulk(spec.group);
  if (!spec.subcommands.empty()) {
    out.bulk("subcommands");
    out.map(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) {
      out.bulk(sub.name);
      write_docs(sub, out);
    }
  }
}

// Looks up "name" or "container|sub".
const CommandSpec* find_any(std::string_view name) {
  const std::size_t bar = name.find('|');
  const CommandSpec* spec = CommandTable::get().find(name.substr(0, bar));
  if (spec == nullptr || bar == std::string_view::npos) return spec;
  return CommandTable::find_sub(*spec, name.substr(bar + 1));
}

void command_all(Call& c) {
  const auto all = CommandTable::get().all();
  c.out.array(all.size());
  for (const CommandSpec* spec : all) write_info(*spec, c.out);
}

void command_count(Call& c) {
  c.out.integer(static_cast<std::int64_t>(CommandTable::get().all().size()));
}

// COMMAND LIST [FILTERBY ...]: filters are not supported, so any argument is a syntax error.
void command_list(Call& c) {
  if (c.args.size() > 2) {
    c.out.error(kErrSyntax);
    return;
  }
  const auto all = CommandTable::get().all();
  c.out.array(all.size());
  for (const CommandSpec* spec : all) c.out.bulk(spec->name);
}

void command_info(Call& c) {
  if (c.args.size() == 2) {
    command_all(c);
    return;
  }
  c.out.array(c.args.size() - 2);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    if (const CommandSpec* spec = find_any(c.args[i])) {
      write_info(*spec, c.out);
    } else {
      c.out.null();
    }
  }
}

void command_docs(Call& c) {
  std::vector<const CommandSpec*> chosen;
  if (c.args.size() == 2) {
    const auto all = CommandTable::get().all();
    chosen.assign(all.begin(), all.end());
  } else {
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      if (const CommandSpec* spec = find_any(c.args[i])) chosen.push_back(spec);
    }
  }
  c.out.map(chosen.size());
  for (const CommandSpec* spec : chosen) {
    c.out.bulk(spec->name);
    write_docs(*spec, c.out);
  }
}

const CommandSpec kCommandSubcommands[] = {
    {"command|count", 2, kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0, command_count,
     "server", "Returns a count of commands."},
    {"command|list", -2, kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0, command_list,
     "server", "Returns a list of command names."},
    {"command|info", -2, kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0, command_info,
     "server", "Returns information about one, multiple or all commands."},
    {"command|docs", -2, kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0, command_docs,
     "server", "Returns documentary information about one, multiple or all commands."},
};

const CommandSpec kCommands[] = {
    {"command", -1, kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0, command_all,
     "server", "Returns detailed information about all commands.", kCommandSubcommands},
};

}  // namespace

std::span<const CommandSpec> introspection_commands() { return kCommands; }

}  // namespace kv::cmd
