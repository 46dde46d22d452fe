// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The geometry of halo exchanges: which boxes of a rank's storage go to
// which peer, which come back, which the rank fills itself. Both sides of
// a pair derive the same messages in the same order from the receiver's
// halo, so messages need no headers and match by order (MPI keeps the
// order of messages between two ranks on one tag).

#include "../partition.hpp"
#include "copy_plan.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace weft::detail {

/// A vector's halo: g ghosts on each side of every block of `p`, rank `me`'s
/// messages. A rank's left ghosts and its right ghosts travel as separate
/// messages, so each is one run of the storage on both sides even where one
/// rank supplies both; ghosts wider than a neighbour's block come from
/// further ranks, and a periodic halo wider than the vector wraps more than
/// once (runs of boxes). Walks every rank's ghosts: O(ranks x g).
inline copy_plan vector_halo_plan(const partition& p, std::int64_t g, int me, boundary_kind kind) {
  copy_plan plan;
  plan.from_extents = {1, 1, p.local_size(me) + 2 * g};
  plan.to_extents = plan.from_extents;
  plan.remote_faces.assign(1, {false, false});
  const std::int64_t n = p.global_size(), my_offset = p.offset(me);
  std::map<int, std::vector<box_message>> sends, recvs;
  for (int r = 0; r < p.ranks(); ++r) {
    const std::int64_t begin = p.offset(r), size = p.local_size(r);
    for (const bool left : {true, false}) {
      std::map<int, box_message> recv_part;  // rank r == me: this side's ghosts, by owner
      box_message send_part{r, {}};          // this rank's cells for this side of rank r's halo
      for (std::int64_t s = 0; s < g; ++s) {
        const std::int64_t wanted = left ? begin - g + s : begin + size + s;
        const std::int64_t slot = left ? s : g + size + s;  // storage index on rank r
        std::int64_t source = wanted;
        if (wanted < 0 || wanted >= n) {
          if (n == 0 || kind == boundary_kind::constant) {
            if (r == me) append_run(plan.constant, slot);
            continue;
          }
          source = kind == boundary_kind::periodic ? ((wanted % n) + n) % n : (wanted < 0 ? 0 : n - 1);
        }
        const int owner = p.owner(source);
        const std::int64_t from = g + source - p.offset(owner);  // storage index on the owner
        if (r == me && owner == me) {
          append_copy(plan.local, from, slot);
          continue;
        }
        if (r == me) {
          auto& part = recv_part[owner];
          part.peer = owner;
          append_run(part.boxes, slot);
          plan.remote_faces[0][left ? 0 : 1] = true;
        }
        if (owner == me) append_run(send_part.boxes, g + source - my_offset);
      }
      for (auto& [owner, part] : recv_part) recvs[owner].push_back(std::move(part));
      if (!send_part.boxes.empty()) sends[r].push_back(std::move(send_part));
    }
  }
  for (auto& [peer, messages] : sends)
    for (auto& m : messages) plan.sends.push_back(std::move(m));
  for (auto& [peer, messages] : recvs)
    for (auto& m : messages) plan.recvs.push_back(std::move(m));
  return plan;
}

/// A grid's halo on `layout` (a grid_layout): per region of a receiver's
/// halo (its faces, edges and corners; faces only for the cross shape),
/// one box from the rank that owns its source, or a copy within the
/// receiver, or a constant box. The halo never reaches past the
/// neighbouring blocks (halo <= every block along a dimension of several
/// ranks or a periodic one: grid_layout's checks), so each region has one
/// source rank, within one step in the process grid; a clamped region
/// repeats the edge plane (a step of 0).
template <class Layout>
copy_plan grid_halo_plan(const Layout& layout, const halo_spec& spec) {
  constexpr int R = Layout::rank;
  constexpr std::size_t rank = static_cast<std::size_t>(R);
  constexpr std::size_t pad = 3 - rank;  // storage_box dimensions before the grid's
  const std::int64_t h = layout.halo_width();
  const int me = layout.comm().rank();
  copy_plan plan;
  plan.remote_faces.assign(R, {false, false});
  for (int d = 0; d < R; ++d) plan.from_extents[pad + static_cast<std::size_t>(d)] = layout.local_extent(d) + 2 * h;
  plan.to_extents = plan.from_extents;
  if (h == 0) return plan;

  auto rank_of = [&](const std::array<int, rank>& c) {
    int r = 0;
    for (std::size_t d = 0; d < rank; ++d) r = r * layout.dims()[d] + c[d];  // MPI's Cartesian ranks are row-major
    return r;
  };
  // Region `code` (base 3, dimension 0 first: 0 below the block, 1 along
  // it, 2 above) of the halo of the rank at coordinates c.
  struct region {
    bool constant = false;
    int owner = -1;
    storage_box ghosts, source;  // in the receiver's storage, and the owner's
  };
  auto region_of = [&](const std::array<int, rank>& c, int code) {
    region f;
    std::array<int, rank> owner{};
    for (std::size_t d = rank; d-- > 0;) {
      const int side = code % 3;
      code /= 3;
      const partition& split = layout.split(static_cast<int>(d));
      const std::int64_t m = split.local_size(c[d]), off = split.offset(c[d]),
                         n = layout.global_extent(static_cast<int>(d));
      const std::int64_t lo = side == 0 ? 0 : side == 1 ? h : h + m, len = side == 1 ? m : h;
      std::int64_t first = side == 0 ? off - h : side == 1 ? off : off + m, step = 1;
      f.ghosts.lo[pad + d] = lo;
      f.ghosts.extent[pad + d] = len;
      if (first < 0 || first >= n) {  // wholly outside the global extent
        if (layout.options().periodic[d]) {
          first = ((first % n) + n) % n;
        } else if (spec.kind == boundary_kind::clamp) {
          first = first < 0 ? 0 : n - 1;
          step = 0;
        } else {
          f.constant = true;
          first = 0;
        }
      }
      owner[d] = split.owner(first);
      f.source.lo[pad + d] = first - split.offset(owner[d]) + h;
      f.source.extent[pad + d] = len;
      f.source.step[pad + d] = step;
    }
    f.owner = f.constant ? -1 : rank_of(owner);
    return f;
  };
  // The regions a spec fills, ascending: not the block itself, and for the
  // cross shape only the faces (outside the block along one dimension).
  std::vector<int> codes;
  int regions = 1;
  for (int d = 0; d < R; ++d) regions *= 3;
  for (int code = 0; code < regions; ++code) {
    int outside = 0;
    for (int rest = code, d = 0; d < R; ++d, rest /= 3) outside += rest % 3 != 1;
    if (outside == 0 || (spec.shape == stencil_shape::cross && outside > 1)) continue;
    codes.push_back(code);
  }

  std::map<int, std::vector<box_message>> sends, recvs;
  for (const int code : codes) {
    const region f = region_of(layout.coords(), code);
    if (f.constant) {
      plan.constant.push_back(f.ghosts);
    } else if (f.owner == me) {
      plan.local.push_back({f.source, f.ghosts});
    } else {
      recvs[f.owner].push_back({f.owner, {f.ghosts}});
      int outside = 0;
      std::size_t dimension = 0, side = 0;
      for (int rest = code, d = R; d-- > 0; rest /= 3)
        if (rest % 3 != 1) {
          ++outside;
          dimension = static_cast<std::size_t>(d);
          side = rest % 3 == 0 ? 0 : 1;
        }
      if (outside == 1) plan.remote_faces[dimension][side] = true;
    }
  }
  // The receivers this rank can supply: the ranks within one step of it.
  std::set<int> visited;
  for (int k = 0; k < regions; ++k) {
    std::array<int, rank> c;
    bool valid = true;
    int rest = k;
    for (std::size_t d = rank; d-- > 0; rest /= 3) {
      c[d] = layout.coords()[d] + rest % 3 - 1;
      if (c[d] < 0 || c[d] >= layout.dims()[d]) {
        if (layout.options().periodic[d])
          c[d] = (c[d] + layout.dims()[d]) % layout.dims()[d];
        else
          valid = false;
      }
    }
    if (!valid) continue;
    const int q = rank_of(c);
    if (q == me || !visited.insert(q).second) continue;
    for (const int code : codes) {
      const region f = region_of(c, code);
      if (!f.constant && f.owner == me) sends[q].push_back({q, {f.source}});
    }
  }
  for (auto& [peer, messages] : sends)
    for (auto& m : messages) plan.sends.push_back(std::move(m));
  for (auto& [peer, messages] : recvs)
    for (auto& m : messages) plan.recvs.push_back(std::move(m));
  return plan;
}

}  // namespace weft::detail
