// `parleyd admin [OPTION VALUE]... COMMAND [ARG]...`: the operator's commands
// (docs/operations.md). The options are parleyd's own (--config, --data-dir, --listen,
// --admin-token-file, ... and their PARLEY_* and TOML spellings), so the same configuration
// names the same server. Commands on accounts go through the running server's admin API
// (/admin/v1 on --listen, with the token of --admin-token-file), so their effects — sessions
// revoked, sockets closed — happen at once; backup and restore work on the files.
//
// Exit status: 0 done, 1 the command failed (the server's error on standard error),
// 2 usage error.
#pragma once

namespace parley {

int run_admin(int argc, char** argv);

}  // namespace parley
