// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Internals of the stencils (stencil.hpp): the neighbourhood accessor handed
// to the user's function, the kernel, and the split of the domain into an
// interior that needs no boundary checks and a thin band around it that does.

#include "host_loops.hpp"
#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace weft {

struct periodic;
template <class T>
struct constant;
struct clamp;
struct interior_only;

namespace detail {

/// The rank of the first of several views (stencil inputs share one rank).
template <class First, class... Rest>
struct tuple_element_rank : std::integral_constant<int, static_cast<int>(First::rank)> {};

/// How a read outside [0, n) is resolved in one dimension. Each returns the
/// in-range index to read, or -1 for "use the constant".
template <class Boundary>
struct outside_read;

template <>
struct outside_read<periodic> {
  // |offset| <= radius <= n, so one wrap suffices.
  KOKKOS_INLINE_FUNCTION static std::int64_t index(std::int64_t c, std::int64_t n) {
    return c < 0 ? c + n : (c >= n ? c - n : c);
  }
};

template <>
struct outside_read<clamp> {
  KOKKOS_INLINE_FUNCTION static std::int64_t index(std::int64_t c, std::int64_t n) {
    return c < 0 ? 0 : (c >= n ? n - 1 : c);
  }
};

template <class T>
struct outside_read<constant<T>> {
  KOKKOS_INLINE_FUNCTION static std::int64_t index(std::int64_t c, std::int64_t n) {
    return (c < 0 || c >= n) ? -1 : c;
  }
};

// interior_only reads nothing outside (only points whose neighbourhood lies
// inside are computed); this keeps flagged neighbourhoods compiling.
template <>
struct outside_read<interior_only> {
  KOKKOS_INLINE_FUNCTION static std::int64_t index(std::int64_t c, std::int64_t) { return c; }
};

/// How a neighbourhood reads: straight through (interior points, or a halo
/// that already holds the boundary values), through the boundary rule (the
/// band along the edges), or either, as a flag set per kernel (the one
/// nameable type, weft::neighbourhood, for functions that cannot be generic).
enum class read_mode { direct, checked, flagged };

/// What a stencil declared it reads, for the debug-build check of every
/// read (see neighbourhood::operator()).
struct reach_limits {
  int radius;
  bool cross;
};

/// What the user's stencil function receives: nb(di[, dj[, dk]]) reads the
/// input at the centre plus that offset; nb.index() is the point being
/// computed (the view's index locally, the global point on distributed
/// vectors and grids) and nb.local_index() its index into the output view
/// (the block's own coordinates on grids).
template <class View, class Boundary, read_mode Mode>
class neighbourhood {
 public:
  static constexpr int rank = static_cast<int>(View::rank);
  using value_type = typename View::non_const_value_type;
  using index_type = std::conditional_t<rank == 1, std::int64_t, point<rank>>;

  /// `centre`: the point in the input's coordinates; `at`: in the output's;
  /// `shift`: from the output's coordinates to what index() reports.
  KOKKOS_INLINE_FUNCTION neighbourhood(const View& in, const Boundary& boundary, const point<rank>& centre,
                                       const point<rank>& at, const point<rank>& shift, reach_limits limits,
                                       bool checked = Mode == read_mode::checked)
      : in_(in), boundary_(boundary), centre_(centre), at_(at), shift_(shift), limits_(limits), checked_(checked) {
    if constexpr (pointer_reads) {
      std::int64_t offset = 0;
      for (int d = 0; d < rank; ++d) {
        if (d != unit_dimension) stride_[d] = static_cast<std::int64_t>(in.stride(d));
        offset += centre[d] * (d == unit_dimension ? 1 : stride_[d]);
      }
      centre_data_ = in.data() + offset;
    }
  }

  /// The input at the centre plus (di[, dj[, dk]]); |offset| <= radius, and
  /// on the axes only for a cross stencil. Builds that check View bounds
  /// (Kokkos_ENABLE_DEBUG_BOUNDS_CHECK) or define WEFT_ENABLE_DEBUG_CHECKS
  /// check that too, and abort on a read outside the stencil's reach.
  template <class... Offsets>
    requires(sizeof...(Offsets) == rank)
  KOKKOS_INLINE_FUNCTION value_type operator()(Offsets... offsets) const {
#if defined(KOKKOS_ENABLE_DEBUG_BOUNDS_CHECK) || defined(WEFT_ENABLE_DEBUG_CHECKS)
    check_reach(point<rank>{static_cast<std::int64_t>(offsets)...});
#endif
    if constexpr (Mode == read_mode::checked) {
      return checked_read(point<rank>{static_cast<std::int64_t>(offsets)...});
    } else {
      if constexpr (Mode == read_mode::flagged) {
        if (checked_) return checked_read(point<rank>{static_cast<std::int64_t>(offsets)...});
      }
      if constexpr (rank == 1) return in_(centre_[0] + offsets...);
      else if constexpr (pointer_reads)
        return pointer_read(static_cast<std::int64_t>(offsets)...);
      else return read_at(point<rank>{static_cast<std::int64_t>(offsets)...});
    }
  }

  /// The point being computed: an integer in 1-D, a Kokkos::Array in 2-D
  /// and 3-D (auto [i, j] = nb.index() works). Locally the index into the
  /// views; on distributed vectors and grids the global index.
  KOKKOS_INLINE_FUNCTION index_type index() const {
    if constexpr (rank == 1) {
      return at_[0] + shift_[0];
    } else {
      point<rank> p;
      for (int d = 0; d < rank; ++d) p[d] = at_[d] + shift_[d];
      return p;
    }
  }

  /// The point's index along dimension d.
  KOKKOS_INLINE_FUNCTION std::int64_t index(int d) const { return at_[d] + shift_[d]; }

  /// The point's index into the output view: the same as index() locally;
  /// on distributed vectors and grids the index into the block (local(),
  /// interior()), for reading another field of the same layout there.
  KOKKOS_INLINE_FUNCTION index_type local_index() const {
    if constexpr (rank == 1) return at_[0];
    else return at_;
  }

 private:
  // 2-D and 3-D reads of a LayoutRight or LayoutLeft view straight from a
  // pointer to the centre and the view's strides (the fastest dimension's
  // stride is 1 at compile time), taken once per point: each read is then
  // a multiply-add and a load. Why: the user's function is inlined into the
  // row loop, where it vectorizes, only while its body is small, and at -O2
  // GCC 12 stops at 70 estimated instructions (--param
  // max-inline-insns-single), which a 9-point Laplacian read through the
  // view's own indexing passed (Gray-Scott stayed scalar at -O2). Not in
  // builds that check View bounds, nor for views whose reads are not plain
  // references (atomic, random-access memory traits).
#if defined(KOKKOS_ENABLE_DEBUG_BOUNDS_CHECK) || defined(WEFT_ENABLE_DEBUG_CHECKS)
  static constexpr bool checks_reads = true;
#else
  static constexpr bool checks_reads = false;
#endif
  static constexpr bool pointer_reads = (rank == 2 || rank == 3) && Mode != read_mode::checked && !checks_reads &&
                                        std::is_lvalue_reference_v<typename View::reference_type> &&
                                        (std::is_same_v<typename View::array_layout, Kokkos::LayoutRight> ||
                                         std::is_same_v<typename View::array_layout, Kokkos::LayoutLeft>);
  static constexpr int unit_dimension = std::is_same_v<typename View::array_layout, Kokkos::LayoutLeft> ? 0 : rank - 1;
  using data_pointer = std::add_pointer_t<std::remove_reference_t<typename View::reference_type>>;

  // Written out, without loops: GCC -O2 does not unroll loops before it
  // sizes a function for inlining.
  KOKKOS_INLINE_FUNCTION value_type pointer_read(std::int64_t o0, std::int64_t o1) const {
    if constexpr (unit_dimension == 0)
      return centre_data_[o0 + o1 * stride_[1]];
    else
      return centre_data_[o0 * stride_[0] + o1];
  }
  KOKKOS_INLINE_FUNCTION value_type pointer_read(std::int64_t o0, std::int64_t o1, std::int64_t o2) const {
    if constexpr (unit_dimension == 0)
      return centre_data_[o0 + o1 * stride_[1] + o2 * stride_[2]];
    else
      return centre_data_[o0 * stride_[0] + o1 * stride_[1] + o2];
  }

  KOKKOS_INLINE_FUNCTION value_type read_at(const point<rank>& offset) const {
    if constexpr (rank == 2) {
      return in_(centre_[0] + offset[0], centre_[1] + offset[1]);
    } else {
      return in_(centre_[0] + offset[0], centre_[1] + offset[1], centre_[2] + offset[2]);
    }
  }

  KOKKOS_INLINE_FUNCTION value_type checked_read(const point<rank>& offset) const {
    point<rank> at;
    for (int d = 0; d < rank; ++d) {
      at[d] = outside_read<Boundary>::index(centre_[d] + offset[d],
                                            static_cast<std::int64_t>(in_.extent(d)));
      if constexpr (requires { boundary_.value; }) {
        if (at[d] < 0) return static_cast<value_type>(boundary_.value);
      }
    }
    if constexpr (rank == 1) return in_(at[0]);
    else if constexpr (rank == 2) return in_(at[0], at[1]);
    else return in_(at[0], at[1], at[2]);
  }

  KOKKOS_INLINE_FUNCTION void check_reach(const point<rank>& offset) const {
    int off_axis = 0;
    bool too_far = false;
    for (int d = 0; d < rank; ++d) {
      off_axis += offset[d] != 0;
      too_far = too_far || offset[d] > limits_.radius || offset[d] < -limits_.radius;
    }
    if (too_far || (limits_.cross && off_axis > 1))
      Kokkos::abort(
          "weft::stencil: the stencil function read outside its reach: an offset beyond the radius it "
          "was given, or off the axes of a cross stencil (weft::cross(r)); those points may not have been "
          "exchanged. Pass the radius and shape the function reads.");
  }

  const View& in_;
  const Boundary& boundary_;
  data_pointer centre_data_ = nullptr;  // pointer_reads only
  std::int64_t stride_[static_cast<std::size_t>(rank)] = {};  // pointer_reads only (not the unit dimension)
  point<rank> centre_;
  point<rank> at_;
  point<rank> shift_;
  reach_limits limits_;
  bool checked_;
};

/// A small tuple that device code can hold and read: the views of a
/// multi-field stencil, and the values its function returns.
template <std::size_t I, class T>
struct tuple_leaf {
  T value;
};

template <class Indices, class... T>
struct tuple_impl;

template <std::size_t... I, class... T>
struct tuple_impl<std::index_sequence<I...>, T...> : tuple_leaf<I, T>... {
  KOKKOS_DEFAULTED_FUNCTION tuple_impl() = default;
  KOKKOS_INLINE_FUNCTION explicit tuple_impl(const T&... v) : tuple_leaf<I, T>{v}... {}
};

template <class... T>
struct tuple : tuple_impl<std::index_sequence_for<T...>, T...> {
  KOKKOS_DEFAULTED_FUNCTION tuple() = default;
  KOKKOS_INLINE_FUNCTION explicit tuple(const T&... v) : tuple_impl<std::index_sequence_for<T...>, T...>(v...) {}
};

template <std::size_t I, class T>
KOKKOS_INLINE_FUNCTION T& get(tuple_leaf<I, T>& leaf) {
  return leaf.value;
}
template <std::size_t I, class T>
KOKKOS_INLINE_FUNCTION const T& get(const tuple_leaf<I, T>& leaf) {
  return leaf.value;
}

}  // namespace detail

/// What a stencil over several output fields returns at each point: one
/// value per output, in order.
///   return weft::values{u_next, v_next};
template <class... T>
struct values {
  detail::tuple<T...> items;
  KOKKOS_INLINE_FUNCTION values(const T&... v) : items(v...) {}
};

template <class... T>
values(T...) -> values<T...>;

namespace detail {

template <class T>
struct is_values : std::false_type {};
template <class... T>
struct is_values<values<T...>> : std::true_type {};

/// out(x) = f(nb of each input at x) over a box of output points, for one
/// or several inputs and outputs (tuples of views). `centre_shift[k]` maps
/// output coordinates to input k's (non-zero where the input carries a
/// halo), `index_shift` maps them to what nb.index() reports; `checked` is
/// the flag of flagged neighbourhoods.
template <class Ins, class Outs, class Boundary, read_mode Mode, class F>
struct stencil_functor;

template <class... In, class... Out, class Boundary, read_mode Mode, class F>
struct stencil_functor<tuple<In...>, tuple<Out...>, Boundary, Mode, F> {
  static constexpr int rank = static_cast<int>(tuple_element_rank<In...>::value);
  static constexpr std::size_t inputs = sizeof...(In);
  tuple<In...> in;
  tuple<Out...> out;
  Boundary boundary;
  F f;
  Kokkos::Array<point<rank>, inputs> centre_shift;
  point<rank> index_shift;
  reach_limits limits;
  bool checked = Mode == read_mode::checked;

  // In 3-D forced inline, with the point arithmetic written out: at -O2
  // GCC keeps a 3-D call() out of line and its points in memory, and the
  // host row loop around it (host_loops.hpp) then stays scalar. Not in 1-D
  // and 2-D, where GCC inlines it anyway, and where forcing it kept a
  // two-field stencil's points on the stack (8x slower at -O3).
  template <std::size_t... I>
  KOKKOS_FORCEINLINE_FUNCTION decltype(auto) call(const point<rank>& at, std::index_sequence<I...>) const
    requires(rank == 3)
  {
    return f(neighbourhood<In, Boundary, Mode>(get<I>(in), boundary, shifted(at, centre_shift[I]), at, index_shift,
                                                 limits, checked)...);
  }
  template <std::size_t... I>
  KOKKOS_INLINE_FUNCTION decltype(auto) call(const point<rank>& at, std::index_sequence<I...>) const
    requires(rank < 3)
  {
    return f(neighbourhood<In, Boundary, Mode>(get<I>(in), boundary, shifted(at, centre_shift[I]), at, index_shift,
                                                 limits, checked)...);
  }
  KOKKOS_INLINE_FUNCTION static point<rank> shifted(const point<rank>& at, const point<rank>& by) {
    point<rank> p;
    if constexpr (rank == 3) {
      p[0] = at[0] + by[0];
      p[1] = at[1] + by[1];
      p[2] = at[2] + by[2];
    } else {
      for (int d = 0; d < rank; ++d) p[d] = at[d] + by[d];
    }
    return p;
  }
  template <class View, class... I>
  KOKKOS_INLINE_FUNCTION static void store(const View& v, const typename View::non_const_value_type& x, I... i) {
    v(i...) = x;
  }
  template <class Result, std::size_t... O, class... I>
  KOKKOS_INLINE_FUNCTION void write(const Result& r, std::index_sequence<O...>, I... i) const {
    if constexpr (is_values<Result>::value) {
      (store(get<O>(out), static_cast<typename Out::non_const_value_type>(get<O>(r.items)), i...), ...);
    } else {
      static_assert(sizeof...(Out) == 1, "weft::stencil: with several output fields the function returns "
                                         "weft::values{...}, one value per output.");
      (store(get<O>(out), static_cast<typename Out::non_const_value_type>(r), i...), ...);
    }
  }

  /// Whether the (first) output's first dimension is its fastest: launches
  /// over boxes then follow it through memory.
  bool output_first_dimension_fastest() const { return first_dimension_fastest(get<0>(out)); }

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const
    requires(rank == 1)
  {
    write(call(point_at(i), std::index_sequence_for<In...>{}), std::index_sequence_for<Out...>{}, i);
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const
    requires(rank == 2)
  {
    write(call(point<2>{i, j}, std::index_sequence_for<In...>{}), std::index_sequence_for<Out...>{}, i, j);
  }
  KOKKOS_FORCEINLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k) const
    requires(rank == 3)
  {
    write(call(point<3>{i, j, k}, std::index_sequence_for<In...>{}), std::index_sequence_for<Out...>{}, i, j, k);
  }
};

/// Whether f takes the compile-time neighbourhoods of its inputs (a generic
/// lambda or a templated operator()), which keeps the boundary test out of
/// the interior.
template <class F, class Boundary, class... Views>
inline constexpr bool takes_any_neighbourhood =
    std::is_invocable_v<const F&, const neighbourhood<Views, Boundary, read_mode::direct>&...> &&
    std::is_invocable_v<const F&, const neighbourhood<Views, Boundary, read_mode::checked>&...>;

/// Whether f takes the one nameable type, weft::neighbourhood, of each input.
template <class F, class Boundary, class... Views>
inline constexpr bool takes_named_neighbourhood =
    std::is_invocable_v<const F&, const neighbourhood<Views, Boundary, read_mode::flagged>&...>;

/// The read mode stencils use for f's interior and band kernels.
template <class F, class Boundary, class... Views>
constexpr read_mode interior_mode() {
  return takes_any_neighbourhood<F, Boundary, Views...> ? read_mode::direct : read_mode::flagged;
}
template <class F, class Boundary, class... Views>
constexpr read_mode band_mode() {
  return takes_any_neighbourhood<F, Boundary, Views...> ? read_mode::checked : read_mode::flagged;
}

/// Points of an n-box at least low[d] from its low face and high[d] from
/// its high face in every dimension d: with low = high = r, those whose whole
/// radius-r neighbourhood lies inside the box.
template <int Rank>
box<Rank> interior_box(const point<Rank>& n, const point<Rank>& low, const point<Rank>& high) {
  box<Rank> b;
  for (int d = 0; d < Rank; ++d) {
    b.lo[d] = low[d] < n[d] ? low[d] : n[d];
    b.hi[d] = n[d] - high[d] > b.lo[d] ? n[d] - high[d] : b.lo[d];
  }
  return b;
}

template <int Rank>
point<Rank> uniform(std::int64_t r) {
  point<Rank> p;
  for (int d = 0; d < Rank; ++d) p[d] = r;
  return p;
}

template <int Rank>
box<Rank> interior_box(const point<Rank>& n, std::int64_t r) {
  return interior_box<Rank>(n, uniform<Rank>(r), uniform<Rank>(r));
}

/// The 2*Rank slabs that, with interior_box(n, low, high), tile the n-box
/// exactly once: slab (d, side) takes the interior range in dimensions
/// before d, the low or high band in d, and everything in dimensions after d.
template <int Rank>
box<Rank> band_slab(const point<Rank>& n, const point<Rank>& low, const point<Rank>& high, int d, bool high_side) {
  const box<Rank> inner = interior_box<Rank>(n, low, high);
  box<Rank> b;
  for (int e = 0; e < Rank; ++e) {
    if (e < d) {
      b.lo[e] = inner.lo[e];
      b.hi[e] = inner.hi[e];
    } else {
      b.lo[e] = 0;
      b.hi[e] = n[e];
    }
  }
  if (high_side) b.lo[d] = inner.hi[d];
  else b.hi[d] = inner.lo[d];
  return b;
}

template <int Rank>
box<Rank> band_slab(const point<Rank>& n, std::int64_t r, int d, bool high_side) {
  return band_slab<Rank>(n, uniform<Rank>(r), uniform<Rank>(r), d, high_side);
}

/// The two band slabs of the last (fastest) dimension as one kernel over
/// rows: an MDRangePolicy over the leading dimensions, each point running
/// the low and high ranges of the last one. As boxes of their own these
/// slabs are a few points thick in the fastest dimension, and
/// MDRangePolicy then pays its per-tile cost for every point or two.
template <class Functor, int Rank>
struct row_ends_functor {
  Functor f;
  std::int64_t low_begin, low_end, high_begin, high_end;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const
    requires(Rank == 2)
  {
    for (std::int64_t k = low_begin; k < low_end; ++k) f(i, k);
    for (std::int64_t k = high_begin; k < high_end; ++k) f(i, k);
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const
    requires(Rank == 3)
  {
    for (std::int64_t k = low_begin; k < low_end; ++k) f(i, j, k);
    for (std::int64_t k = high_begin; k < high_end; ++k) f(i, j, k);
  }
};

/// The functor over two ranges of a 1-D box, [low_begin, low_begin +
/// low_count) then [high_begin, ...), as one kernel over their points.
template <class Functor>
struct two_ranges_functor {
  Functor f;
  std::int64_t low_begin, low_count, high_begin;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const {
    f(k < low_count ? low_begin + k : high_begin + (k - low_count));
  }
};

/// Launches functor over the low and high band slabs of dimension d (boxes
/// that differ only in dimension d, each possibly empty). Bands along the
/// fastest dimension, a few points thick, run as one kernel.
template <class Exec, int Rank, class Functor>
void launch_band_pair(const Exec& exec, const char* label, int d, const box<Rank>& low, const box<Rank>& high,
                      const Functor& functor) {
  if constexpr (Rank == 1) {
    const std::int64_t low_count = low.empty() ? 0 : low.hi[0] - low.lo[0];
    const std::int64_t high_count = high.empty() ? 0 : high.hi[0] - high.lo[0];
    if (low_count + high_count > 0)
      Kokkos::parallel_for(label, range(exec, low_count + high_count),
                           two_ranges_functor<Functor>{functor, low.lo[0], low_count, high.lo[0]});
    return;
  }
  if (d < Rank - 1) {
    launch_box(exec, label, low, functor);
    launch_box(exec, label, high, functor);
    return;
  }
  constexpr int last = Rank - 1;
  auto length = [](const box<Rank>& b) { return b.empty() ? std::int64_t(0) : b.hi[Rank - 1] - b.lo[Rank - 1]; };
  if (length(low) == 0 && length(high) == 0) return;
  const box<Rank>& rows = length(low) > 0 ? low : high;  // both span the same rows
  const row_ends_functor<Functor, Rank> ends{functor, low.lo[last], low.lo[last] + length(low), high.lo[last],
                                             high.lo[last] + length(high)};
  if constexpr (Rank == 2) {
    Kokkos::parallel_for(label, range(exec, rows.lo[0], rows.hi[0]), ends);
  } else if constexpr (Rank == 3) {
    Kokkos::parallel_for(label,
                         md_policy<Exec, 2>(exec, point<2>{rows.lo[0], rows.lo[1]}, point<2>{rows.hi[0], rows.hi[1]}),
                         ends);
  }
}

}  // namespace detail
}  // namespace weft
