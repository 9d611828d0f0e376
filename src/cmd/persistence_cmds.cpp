// Persistence: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE. The work is persist::Persistence's; these
// handlers give Redis's replies.
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "persist/persistence.hpp"

namespace kv::cmd {
namespace {

// A server without persistence (the in-process tests) answers as if every save failed.
persist::Persistence* persistence_or_reply(Call& c) {
  if (c.server.persistence == nullptr) c.out.error("ERR persistence is not configured");
  return c.server.persistence;
}

void save_cmd(Call& c) {
  persist::Persistence* p = persistence_or_reply(c);
  if (p == nullptr) return;
  std::string error;
  if (p->save(error)) {
    c.out.ok();
  } else {
    c.out.error(error);
  }
}

void bgsave_cmd(Call& c) {
  bool schedule = false;
  if (c.args.size() == 2) {
    if (!NameEq{}(c.args[1], "schedule")) {
      c.out.error(kErrSyntax);
      return;
    }
    schedule = true;
  } else if (c.args.size() > 2) {
    c.out.error(kErrSyntax);
    return;
  }
  persist::Persistence* p = persistence_or_reply(c);
  if (p == nullptr) return;
  switch (p->bgsave(schedule)) {
    case persist::JobStart::started:
      c.out.simple("Background saving started");
      break;
    case persist::JobStart::scheduled:
      c.out.simple("Background saving scheduled");
      break;
    case persist::JobStart::already_running:
      c.out.error("ERR Background save already in progress");
      break;
    case persist::JobStart::busy:
      c.out.error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
          "SCHEDULE in order to schedule a BGSAVE whenever possible.");
      break;
  }
}

void bgrewriteaof_cmd(Call& c) {
  persist::Persistence* p = persistence_or_reply(c);
  if (p == nullptr) return;
  switch (p->bgrewriteaof()) {
    case persist::JobStart::started:
      c.out.simple("Background append only file rewriting started");
      break;
    case persist::JobStart::scheduled:
    case persist::JobStart::busy:
      c.out.simple("Background append only file rewriting scheduled");
      break;
    case persist::JobStart::already_running:
      c.out.error("ERR Background append only file rewriting already in progress");
      break;
  }
}

void lastsave_cmd(Call& c) {
  c.out.integer(c.server.persistence == nullptr ? 0 : c.server.persistence->lastsave());
}

const CommandSpec kCommands[] = {
    {"save", 1, kAdmin | kNoScript | kNoMulti | kNoStore, "@admin @slow @dangerous", 0, 0, 0,
     save_cmd, "server", "Synchronously saves the database(s) to disk."},
    {"bgsave", -1, kAdmin | kNoScript | kNoStore, "@admin @slow @dangerous", 0, 0, 0, bgsave_cmd,
     "server", "Asynchronously saves the database(s) to disk."},
    {"bgrewriteaof", 1, kAdmin | kNoScript | kNoStore, "@admin @slow @dangerous", 0, 0, 0,
     bgrewriteaof_cmd, "server", "Asynchronously rewrites the append-only file to disk."},
    {"lastsave", 1, kLoading | kStale | kFast | kNoStore, "@fast @dangerous", 0, 0, 0, lastsave_cmd,
     "server", "Returns the Unix timestamp of the last successful save to disk."},
};

}  // namespace

std::span<const CommandSpec> persistence_commands() { return kCommands; }

}  // namespace kv::cmd
