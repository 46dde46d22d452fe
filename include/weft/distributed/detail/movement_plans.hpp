// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The copy plans of movements between layouts, built from the layouts
// alone (no communication): redistributions of vectors and grids, gathers
// to and scatters from one rank, and the all-to-all exchange of given
// counts. Every rank derives its side of each pair of messages in the same
// order as the peer derives the other (ascending rank, one message per
// pair), so the copy engine matches them without headers.

#include "../partition.hpp"
#include "copy_plan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace weft::detail {

/// Calls f(q, begin, end) for every rank q whose block under p meets
/// [begin, end), with the overlap [begin, end) of the two, in increasing
/// rank order (owner() by bisection, so a few blocks cost a few steps at
/// any rank count).
template <class F>
void for_each_overlap(const partition& p, std::int64_t begin, std::int64_t end, F f) {
  if (begin >= end) return;
  for (int q = p.owner(begin); q < p.ranks() && p.offset(q) < end; ++q) {
    const std::int64_t lo = std::max(begin, p.offset(q)), hi = std::min(end, p.offset(q + 1));
    if (lo < hi) f(q, lo, hi);
  }
}

/// The run [first, first + length) of a 1-D storage.
inline storage_box run_box(std::int64_t first, std::int64_t length) {
  return storage_box{{0, 0, first}, {1, 1, length}, {1, 1, 1}};
}

/// Rank me's side of moving a vector from partition `from` (stored with
/// `from_halo` ghosts on each side) to partition `to` (`to_halo` ghosts):
/// one run to every rank whose new block meets its old one, one run from
/// every rank whose old block meets its new one, and a copy of what it
/// keeps.
inline copy_plan vector_redistribution_plan(const partition& from, std::int64_t from_halo, const partition& to,
                                            std::int64_t to_halo, int me) {
  copy_plan plan;
  const std::int64_t old_begin = from.offset(me), new_begin = to.offset(me);
  plan.from_extents = {1, 1, from.local_size(me) + 2 * from_halo};
  plan.to_extents = {1, 1, to.local_size(me) + 2 * to_halo};
  for_each_overlap(to, old_begin, old_begin + from.local_size(me), [&](int q, std::int64_t lo, std::int64_t hi) {
    const storage_box source = run_box(from_halo + lo - old_begin, hi - lo);
    if (q == me)
      plan.local.push_back({source, run_box(to_halo + lo - new_begin, hi - lo)});
    else
      plan.sends.push_back({q, {source}});
  });
  for_each_overlap(from, new_begin, new_begin + to.local_size(me), [&](int q, std::int64_t lo, std::int64_t hi) {
    if (q != me) plan.recvs.push_back({q, {run_box(to_halo + lo - new_begin, hi - lo)}});
  });
  return plan;
}

/// Where block `coords` of splits `a` meets the block of one rank under
/// splits `b` (same process grid): that rank and the box of global points.
template <std::size_t R>
struct grid_box {
  int peer;
  std::array<std::int64_t, R> begin, extent;
  std::int64_t points;
};

/// Every non-empty meeting of block `coords` under `a` with a block under
/// `b`, in increasing rank order (MPI's row-major Cartesian ranks).
template <std::size_t R>
std::vector<grid_box<R>> grid_overlaps(const std::array<partition, R>& a, const std::array<int, R>& coords,
                                       const std::array<partition, R>& b) {
  struct piece {
    int c;
    std::int64_t lo, hi;
  };
  std::array<std::vector<piece>, R> along;
  for (std::size_t d = 0; d < R; ++d) {
    const std::int64_t lo = a[d].offset(coords[d]);
    for_each_overlap(b[d], lo, lo + a[d].local_size(coords[d]), [&](int c, std::int64_t l, std::int64_t h) {
      along[d].push_back({c, l, h});
    });
    if (along[d].empty()) return {};
  }
  std::vector<grid_box<R>> boxes;
  std::array<std::size_t, R> k{};  // an odometer over the pieces, the last dimension fastest
  while (true) {
    grid_box<R> box{0, {}, {}, 1};
    for (std::size_t d = 0; d < R; ++d) {
      const piece& p = along[d][k[d]];
      box.peer = box.peer * b[d].ranks() + p.c;
      box.begin[d] = p.lo;
      box.extent[d] = p.hi - p.lo;
      box.points *= box.extent[d];
    }
    boxes.push_back(box);
    std::size_t d = R;
    while (d-- > 0 && ++k[d] == along[d].size()) k[d] = 0;
    if (d == std::size_t(-1)) break;  // every odometer digit wrapped
  }
  return boxes;
}

/// The storage extents of block `coords` of `splits` stored with `halo`
/// ghosts on each side, padded in front to three dimensions.
template <std::size_t R>
std::array<std::int64_t, 3> grid_storage_extents(const std::array<partition, R>& splits,
                                                 const std::array<int, R>& coords, std::int64_t halo) {
  std::array<std::int64_t, 3> e{1, 1, 1};
  for (std::size_t d = 0; d < R; ++d) e[3 - R + d] = splits[d].local_size(coords[d]) + 2 * halo;
  return e;
}

/// The box of global points `box` in the storage of the block starting at
/// `origin`, stored with `halo` ghosts on each side.
template <std::size_t R>
storage_box grid_storage_box(const grid_box<R>& box, const std::array<std::int64_t, R>& origin, std::int64_t halo) {
  storage_box b;
  for (std::size_t d = 0; d < R; ++d) {
    b.lo[3 - R + d] = box.begin[d] - origin[d] + halo;
    b.extent[3 - R + d] = box.extent[d];
  }
  return b;
}

/// Rank me's side (its block `coords`) of moving a grid from splits `from`
/// to splits `to` of the same process grid, both stored with `halo` ghosts:
/// one box to every rank whose new block meets its old one, one box from
/// every rank whose old block meets its new one, a copy of what it keeps.
template <std::size_t R>
copy_plan grid_redistribution_plan(const std::array<partition, R>& from, const std::array<partition, R>& to,
                                   const std::array<int, R>& coords, std::int64_t halo, int me) {
  copy_plan plan;
  std::array<std::int64_t, R> old_origin, new_origin;
  for (std::size_t d = 0; d < R; ++d) {
    old_origin[d] = from[d].offset(coords[d]);
    new_origin[d] = to[d].offset(coords[d]);
  }
  plan.from_extents = grid_storage_extents(from, coords, halo);
  plan.to_extents = grid_storage_extents(to, coords, halo);
  for (const auto& b : grid_overlaps(from, coords, to)) {
    const storage_box source = grid_storage_box(b, old_origin, halo);
    if (b.peer == me)
      plan.local.push_back({source, grid_storage_box(b, new_origin, halo)});
    else
      plan.sends.push_back({b.peer, {source}});
  }
  for (const auto& b : grid_overlaps(to, coords, from))
    if (b.peer != me) plan.recvs.push_back({b.peer, {grid_storage_box(b, new_origin, halo)}});
  return plan;
}

/// The words a redistribution's cached plan depends on: the new layout's
/// block boundaries and halo width, exactly.
inline std::vector<std::int64_t> redistribution_words(const std::vector<const partition*>& to, std::int64_t halo) {
  std::vector<std::int64_t> words{halo};
  for (const partition* p : to) {
    words.push_back(p->ranks());
    words.insert(words.end(), p->offsets().begin(), p->offsets().end());
  }
  return words;
}

/// Rank me's side of an all-to-all exchange of consecutive runs: it sends
/// send_counts[q] elements to rank q from a 1-D storage where they follow
/// one another in rank order, and receives recv_counts[q] from rank q into
/// another, in rank order too; what it sends itself is copied. Only ranks
/// with a count become messages.
inline copy_plan exchange_plan(const std::vector<std::int64_t>& send_counts,
                               const std::vector<std::int64_t>& recv_counts, int me) {
  copy_plan plan;
  std::int64_t sent = 0, received = 0, self_from = 0, self_to = 0;
  for (std::size_t q = 0; q < send_counts.size(); ++q) {
    if (static_cast<int>(q) == me)
      self_from = sent;
    else if (send_counts[q] > 0)
      plan.sends.push_back({static_cast<int>(q), {run_box(sent, send_counts[q])}});
    sent += send_counts[q];
  }
  for (std::size_t q = 0; q < recv_counts.size(); ++q) {
    if (static_cast<int>(q) == me)
      self_to = received;
    else if (recv_counts[q] > 0)
      plan.recvs.push_back({static_cast<int>(q), {run_box(received, recv_counts[q])}});
    received += recv_counts[q];
  }
  const auto mine = static_cast<std::size_t>(me);
  if (mine < send_counts.size() && send_counts[mine] > 0)
    plan.local.push_back({run_box(self_from, send_counts[mine]), run_box(self_to, send_counts[mine])});
  plan.from_extents = {1, 1, sent};
  plan.to_extents = {1, 1, received};
  return plan;
}

/// Root's side of a gather (receives) or of a scatter (sends): every rank's
/// block of `splits` (ranks row-major over the process grid, as MPI's
/// Cartesian ranks; a vector is one split) as a box of the global field
/// stored row-major. The one plan of a movement whose size grows with the
/// rank count, and only on root.
template <std::size_t R>
copy_plan root_side_plan(const std::array<partition, R>& splits, bool gather) {
  copy_plan plan;
  int ranks = 1;
  for (std::size_t d = 0; d < R; ++d) {
    plan.from_extents[3 - R + d] = splits[d].global_size();
    ranks *= splits[d].ranks();
  }
  plan.to_extents = plan.from_extents;
  auto& messages = gather ? plan.recvs : plan.sends;
  for (int q = 0; q < ranks; ++q) {
    storage_box b;
    for (std::size_t d = R, rest = static_cast<std::size_t>(q); d-- > 0;) {
      const int c = static_cast<int>(rest % static_cast<std::size_t>(splits[d].ranks()));
      rest /= static_cast<std::size_t>(splits[d].ranks());
      b.lo[3 - R + d] = splits[d].offset(c);
      b.extent[3 - R + d] = splits[d].local_size(c);
    }
    if (b.size() > 0) messages.push_back({q, {b}});
  }
  return plan;
}

/// A rank's side of a gather to `root` (a send) or of a scatter from it (a
/// receive): its block `coords` of `splits`, stored with `halo` ghosts on
/// each side, as one box of its storage (a message to or from root itself
/// on root).
template <std::size_t R>
copy_plan block_side_plan(const std::array<partition, R>& splits, const std::array<int, R>& coords, std::int64_t halo,
                          int root, bool gather) {
  copy_plan plan;
  plan.from_extents = grid_storage_extents(splits, coords, halo);
  plan.to_extents = plan.from_extents;
  storage_box b;
  for (std::size_t d = 0; d < R; ++d) {
    b.lo[3 - R + d] = halo;
    b.extent[3 - R + d] = splits[d].local_size(coords[d]);
  }
  if (b.size() > 0) (gather ? plan.sends : plan.recvs).push_back({root, {b}});
  return plan;
}

}  // namespace weft::detail
