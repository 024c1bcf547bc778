// Where the parley CLI keeps its files, per the XDG Base Directory specification:
// configuration in $XDG_CONFIG_HOME/parley/config (default ~/.config), the local store (which
// holds the session token) in $XDG_DATA_HOME/parley/parley.db (default ~/.local/share).
// Directories are created with mode 0700 so other local users cannot read the store.
#pragma once

#include <string>

#include "common/result.h"

namespace parley::cli {

// $XDG_CONFIG_HOME/parley (or $HOME/.config/parley), created when missing.
Result<std::string> config_dir();
// $XDG_DATA_HOME/parley (or $HOME/.local/share/parley), created when missing.
Result<std::string> data_dir();

// The "server" line of the config file ("server = http://HOST:PORT"); empty when unset.
std::string load_server(const std::string& config_dir);
Status save_server(const std::string& config_dir, const std::string& server);

}  // namespace parley::cli
