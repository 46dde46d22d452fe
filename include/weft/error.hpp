// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::error and the one funnel every precondition check goes through.

#include "detail/config.hpp"  // first: the C++20 check

#include <sstream>
#include <stdexcept>
#include <string>

namespace weft {

/// The exception weft throws for bad input: mismatched extents, aliasing
/// views, bad radii, bad partitions, ... The message names the algorithm
/// ("weft::<algorithm>: ...") and the sizes involved. Thrown on the host,
/// before the algorithm writes anything.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Throws weft::error with the parts streamed together.
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw error(message.str());
}

/// Throws weft::error(parts...) unless `condition` holds. The message is only
/// formatted on failure, so checks cost nothing on the good path.
template <class... Parts>
void require(bool condition, const Parts&... parts) {
  if (!condition) [[unlikely]] {
    fail(parts...);
  }
}

}  // namespace detail
}  // namespace weft
