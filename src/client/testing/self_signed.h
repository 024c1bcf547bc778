// Test support: a self-signed certificate (P-256, SHA-256, valid for a day) naming
// `dns_name` only, written as PEM to `cert_path` and its key to `key_path`. False on failure.
#pragma once

#include <string>

namespace parley::client::testing {

bool write_self_signed(const std::string& dns_name, const std::string& cert_path, const std::string& key_path);

}  // namespace parley::client::testing
