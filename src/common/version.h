// What this build of Parley is: the release version (CMake's project VERSION) and the git
// commit it was built from ("unknown" outside a git checkout; "-modified" appended when
// tracked files differed from that commit). `parleyd --version` and GET /api/v1/version
// report both.
#pragma once

namespace parley {

const char* build_version();  // "0.1.0"
const char* build_commit();   // "2debfe1a2b3c", "2debfe1a2b3c-modified" or "unknown"

}  // namespace parley
