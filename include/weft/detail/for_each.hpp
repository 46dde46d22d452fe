// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of the map family (for_each.hpp).

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

template <class View, class F>
struct for_each_functor {
  View v;
  F f;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { f(v(i)); }
};

template <class In, class Out, class F>
struct transform_functor {
  In in;
  Out out;
  F f;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { out(i) = f(in(i)); }
};

template <class In1, class In2, class Out, class F>
struct transform2_functor {
  In1 in1;
  In2 in2;
  Out out;
  F f;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { out(i) = f(in1(i), in2(i)); }
};

template <class View, class T>
struct fill_functor {
  View v;
  T value;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = value; }
};

template <class Src, class Dst>
struct copy_functor {
  Src src;
  Dst dst;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { dst(i) = src(i); }
};

template <class View, class T>
struct iota_functor {
  View v;
  T start;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = start + static_cast<T>(i); }
};

}  // namespace weft::detail

namespace weft::detail {

// The 2-D and 3-D forms of the bodies above, called at (i, j[, k]).

template <class View, class F>
struct md_for_each_functor {
  View v;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    f(v(i...));
  }
};

/// f(i, j[, k], v(i, j[, k])) with each index shifted by `offset` (the
/// block's place in a distributed grid; zero for a view).
template <class View, class F, int Rank>
struct md_for_each_index_functor {
  View v;
  F f;
  Kokkos::Array<std::int64_t, static_cast<std::size_t>(Rank)> offset;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const
    requires(Rank == 2)
  {
    f(offset[0] + i, offset[1] + j, v(i, j));
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k) const
    requires(Rank == 3)
  {
    f(offset[0] + i, offset[1] + j, offset[2] + k, v(i, j, k));
  }
};

/// f(offset + i, v(i)): the rank-1 index form.
template <class View, class F>
struct for_each_index_functor {
  View v;
  F f;
  std::int64_t offset;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { f(offset + i, v(i)); }
};

template <class In, class Out, class F>
struct md_transform_functor {
  In in;
  Out out;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    out(i...) = f(in(i...));
  }
};

template <class In1, class In2, class Out, class F>
struct md_transform2_functor {
  In1 in1;
  In2 in2;
  Out out;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    out(i...) = f(in1(i...), in2(i...));
  }
};

template <class View, class T>
struct md_fill_functor {
  View v;
  T value;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    v(i...) = value;
  }
};

template <class Src, class Dst>
struct md_copy_functor {
  Src src;
  Dst dst;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    dst(i...) = src(i...);
  }
};

}  // namespace weft::detail
