#pragma once
// Runs the device tiling (many tiles of 256 elements) on host spaces while
// in scope, so the many-tile paths of sort, compaction, by-key and histogram
// are tested on CPUs.

#include <weft/detail/tiles.hpp>

namespace weft_test {

class device_tiling {
 public:
  explicit device_tiling(bool on) : before_(weft::detail::device_tiling_for_tests()) {
    weft::detail::device_tiling_for_tests() = on;
  }
  ~device_tiling() { weft::detail::device_tiling_for_tests() = before_; }
  device_tiling(const device_tiling&) = delete;
  device_tiling& operator=(const device_tiling&) = delete;

 private:
  bool before_;
};

}  // namespace weft_test
