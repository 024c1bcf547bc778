// Test support: writes a valid, uncompressed RGB PNG of `width` x `height` pixels (a colour
// gradient shifted by `seed`) to `path`. False when the file cannot be written.
#pragma once

#include <string>

namespace parley::client::testing {

bool write_png(const std::string& path, int width, int height, int seed = 0);

}  // namespace parley::client::testing
