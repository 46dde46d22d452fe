#pragma once
// Internals of the stencils (stencil.hpp): the neighbourhood accessor handed
// to the user's function, the kernel, and the split of the domain into an
// interior that needs no boundary checks and a thin band around it that does.

#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace weft {

struct periodic;
template <class T>
struct constant;
struct clamp;
struct interior_only;

namespace detail {

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

template <int Rank>
using point = Kokkos::Array<std::int64_t, Rank>;

/// How a neighbourhood reads: straight through (interior points, or a halo
/// that already holds the boundary values), through the boundary rule (the
/// band along the edges), or either, as a flag set per kernel (the one
/// nameable type, weft::neighbourhood, for functions that cannot be generic).
enum class read_mode { direct, checked, flagged };

/// What the user's stencil function receives: nb(di[, dj[, dk]]) reads the
/// input at the centre plus that offset, nb.index() is the centre's (global)
/// index.
template <class View, class Boundary, read_mode Mode>
class neighbourhood {
 public:
  static constexpr int rank = static_cast<int>(View::rank);
  using value_type = typename View::non_const_value_type;
  using index_type = std::conditional_t<rank == 1, std::int64_t, point<rank>>;

  KOKKOS_INLINE_FUNCTION neighbourhood(const View& in, const Boundary& boundary, const point<rank>& centre,
                                       const point<rank>& index_shift, bool checked = Mode == read_mode::checked)
      : in_(in), boundary_(boundary), centre_(centre), index_shift_(index_shift), checked_(checked) {}

  /// The input at the centre plus (di[, dj[, dk]]); |offset| <= radius.
  template <class... Offsets>
    requires(sizeof...(Offsets) == rank)
  KOKKOS_INLINE_FUNCTION value_type operator()(Offsets... offsets) const {
    if constexpr (Mode == read_mode::checked) {
      return checked_read(point<rank>{static_cast<std::int64_t>(offsets)...});
    } else {
      if constexpr (Mode == read_mode::flagged) {
        if (checked_) return checked_read(point<rank>{static_cast<std::int64_t>(offsets)...});
      }
      if constexpr (rank == 1) return in_(centre_[0] + offsets...);
      else return read_at(point<rank>{static_cast<std::int64_t>(offsets)...});
    }
  }

  /// The centre point's index: an integer in 1-D, a Kokkos::Array in 2-D and 3-D.
  KOKKOS_INLINE_FUNCTION index_type index() const {
    if constexpr (rank == 1) {
      return centre_[0] + index_shift_[0];
    } else {
      point<rank> p;
      for (int d = 0; d < rank; ++d) p[d] = centre_[d] + index_shift_[d];
      return p;
    }
  }

  /// The centre point's index along dimension d.
  KOKKOS_INLINE_FUNCTION std::int64_t index(int d) const { return centre_[d] + index_shift_[d]; }

 private:
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

  const View& in_;
  const Boundary& boundary_;
  point<rank> centre_;
  point<rank> index_shift_;
  bool checked_;
};

/// out(x) = f(nb at x) over a box. `centre_shift` maps output coordinates to
/// input coordinates (non-zero when the input carries a halo), `index_shift`
/// maps input coordinates to the indices nb.index() reports; `checked` is
/// the flag of flagged neighbourhoods.
template <class In, class Out, class Boundary, read_mode Mode, class F>
struct stencil_functor {
  static constexpr int rank = static_cast<int>(In::rank);
  using nb_type = neighbourhood<In, Boundary, Mode>;
  In in;
  Out out;
  Boundary boundary;
  F f;
  point<rank> centre_shift;
  point<rank> index_shift;
  bool checked = Mode == read_mode::checked;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const
    requires(rank == 1)
  {
    out(i) = f(nb_type(in, boundary, point<1>{i + centre_shift[0]}, index_shift, checked));
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const
    requires(rank == 2)
  {
    out(i, j) = f(nb_type(in, boundary, point<2>{i + centre_shift[0], j + centre_shift[1]}, index_shift, checked));
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k) const
    requires(rank == 3)
  {
    out(i, j, k) = f(nb_type(
        in, boundary, point<3>{i + centre_shift[0], j + centre_shift[1], k + centre_shift[2]}, index_shift, checked));
  }
};

/// Whether f takes the compile-time neighbourhoods (a generic lambda or a
/// templated operator()), which keeps the boundary test out of the interior.
template <class F, class View, class Boundary>
inline constexpr bool takes_any_neighbourhood =
    std::is_invocable_v<const F&, const neighbourhood<View, Boundary, read_mode::direct>&> &&
    std::is_invocable_v<const F&, const neighbourhood<View, Boundary, read_mode::checked>&>;

/// The read mode stencils use for f's interior and band kernels.
template <class F, class View, class Boundary>
constexpr read_mode interior_mode() {
  return takes_any_neighbourhood<F, View, Boundary> ? read_mode::direct : read_mode::flagged;
}
template <class F, class View, class Boundary>
constexpr read_mode band_mode() {
  return takes_any_neighbourhood<F, View, Boundary> ? read_mode::checked : read_mode::flagged;
}

/// A half-open box [lo, hi) of output points.
template <int Rank>
struct box {
  point<Rank> lo;
  point<Rank> hi;
  bool empty() const {
    for (int d = 0; d < Rank; ++d)
      if (hi[d] <= lo[d]) return true;
    return false;
  }
};

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

/// Launches functor over a box (nothing for an empty one).
template <class Exec, int Rank, class Functor>
void launch_box(const Exec& exec, const char* label, const box<Rank>& b, const Functor& functor) {
  if (b.empty()) return;
  if constexpr (Rank == 1) {
    Kokkos::parallel_for(label, range(exec, b.lo[0], b.hi[0]), functor);
  } else {
    Kokkos::parallel_for(label, md_policy<Exec, Rank>(exec, b.lo, b.hi), functor);
  }
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

/// Launches functor over the low and high band slabs of dimension d (boxes
/// that differ only in dimension d, each possibly empty).
template <class Exec, int Rank, class Functor>
void launch_band_pair(const Exec& exec, const char* label, int d, const box<Rank>& low, const box<Rank>& high,
                      const Functor& functor) {
  if (Rank == 1 || d < Rank - 1) {
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
