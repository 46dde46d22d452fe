// Image filtering over many devices: a Gaussian blur and a Sobel edge
// filter as distributed stencils, on photographs.
//
//   mpiexec -n 4 image_filter [image.png | image.pgm | --generate N | --photos] [prefix]
//
// With no input named (or --photos), the photographs of Debian's python3-skimage
// (skimage/data: camera.png, 512 x 512 grey; astronaut.png, 512 x 512
// colour; coins.png, 303 x 384 grey) are filtered one after the other, each
// that is present; where none is, a generated N x N test picture (N = 512)
// stands in, as it does with --generate N. Rank 0 reads the image (PNG
// through libpng, or PGM). Each channel (one for grey pictures; R, G and B
// for colour ones) is filtered on its own: weft::scatter spreads it over a
// distributed grid, each rank holding one block of a Cartesian process
// grid. Then
//
//   blur  = 5 x 5 binomial Gaussian (radius 2), clamped at the image edges,
//   edges = |Sobel gradient| of the blurred image (radius 1, reads diagonal
//           neighbours, so its input grid exchanges corner halos too),
//
// each one weft::stencil that exchanges the halo while it filters the
// interior of each block. The results are gathered on rank 0 and written to
// <prefix>-blur.png (in colour for colour pictures) and <prefix>-edges.png
// (for colour, the strongest of the three channels' edges), .pgm with a
// prefix ending in .pgm (grey pictures only), and <prefix>-panel.png: the
// original, blurred and edge images side by side. The photographs' files are
// <prefix>-camera-*.png and so on.
//
// Checks (exit 1 if any fails): both filtered images equal a plain
// sequential filtering of the same input on rank 0, and the edge image is
// not blank (its strongest edge above 1 grey level, and at least 1 % of the
// pixels above a tenth of it).
#include <weft/distributed.hpp>

#include "image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {
using image = weft::distributed_grid<float, 2>;

// Binomial weights 1 4 6 4 1 (/16): a Gaussian of variance 1 in each direction.
KOKKOS_INLINE_FUNCTION float binomial(int k) {
  constexpr float w[5] = {1.0f, 4.0f, 6.0f, 4.0f, 1.0f};
  return w[k + 2] / 16.0f;
}

// Functors rather than generic KOKKOS_LAMBDAs: nvcc rejects generic device lambdas.
struct gaussian_blur {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION float operator()(const Neighbourhood& nb) const {
    float sum = 0.0f;
    for (int di = -2; di <= 2; ++di)
      for (int dj = -2; dj <= 2; ++dj) sum += binomial(di) * binomial(dj) * nb(di, dj);
    return sum;
  }
};

struct sobel_magnitude {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION float operator()(const Neighbourhood& nb) const {
    const float gx = (nb(-1, 1) + 2 * nb(0, 1) + nb(1, 1)) - (nb(-1, -1) + 2 * nb(0, -1) + nb(1, -1));
    const float gy = (nb(1, -1) + 2 * nb(1, 0) + nb(1, 1)) - (nb(-1, -1) + 2 * nb(-1, 0) + nb(-1, 1));
    return std::sqrt(gx * gx + gy * gy);
  }
};

// A test picture with flat areas, straight and curved edges and a ramp.
image_io::gray_image generate(std::int64_t n) {
  image_io::gray_image img{n, n, std::vector<std::uint8_t>(n * n)};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const double y = (i + 0.5) / n, x = (j + 0.5) / n;
      double v = 40 + 60 * x;                                                         // ramp
      if ((x - 0.35) * (x - 0.35) + (y - 0.4) * (y - 0.4) < 0.2 * 0.2) v = 230;      // disc
      if (x > 0.6 && x < 0.9 && y > 0.55 && y < 0.85) v = 15;                         // square
      if (y > 0.1 && y < 0.2 && static_cast<int>(x * 16) % 2 == 0) v = 180;          // stripes
      img.pixels[i * n + j] = static_cast<std::uint8_t>(v);
    }
  return img;
}

// Plain loops with the same arithmetic, in the same order, as the functors.
std::vector<float> blur_sequentially(const std::vector<float>& in, std::int64_t h, std::int64_t w) {
  std::vector<float> out(in.size());
  auto at = [&](std::int64_t i, std::int64_t j) {
    return in[std::clamp<std::int64_t>(i, 0, h - 1) * w + std::clamp<std::int64_t>(j, 0, w - 1)];
  };
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      float sum = 0.0f;
      for (int di = -2; di <= 2; ++di)
        for (int dj = -2; dj <= 2; ++dj) sum += binomial(di) * binomial(dj) * at(i + di, j + dj);
      out[i * w + j] = sum;
    }
  return out;
}

std::vector<float> sobel_sequentially(const std::vector<float>& in, std::int64_t h, std::int64_t w) {
  std::vector<float> out(in.size());
  auto at = [&](std::int64_t i, std::int64_t j) {
    return in[std::clamp<std::int64_t>(i, 0, h - 1) * w + std::clamp<std::int64_t>(j, 0, w - 1)];
  };
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      const float gx = (at(i - 1, j + 1) + 2 * at(i, j + 1) + at(i + 1, j + 1)) -
                       (at(i - 1, j - 1) + 2 * at(i, j - 1) + at(i + 1, j - 1));
      const float gy = (at(i + 1, j - 1) + 2 * at(i + 1, j) + at(i + 1, j + 1)) -
                       (at(i - 1, j - 1) + 2 * at(i - 1, j) + at(i - 1, j + 1));
      out[i * w + j] = std::sqrt(gx * gx + gy * gy);
    }
  return out;
}

// Values scaled by 255 / `top` and rounded into 8-bit pixels.
image_io::gray_image to_pixels(const std::vector<float>& values, std::int64_t h, std::int64_t w, float top) {
  image_io::gray_image img{h, w, std::vector<std::uint8_t>(values.size())};
  for (std::size_t k = 0; k < values.size(); ++k)
    img.pixels[k] = static_cast<std::uint8_t>(std::lround(std::clamp(values[k] * 255.0f / top, 0.0f, 255.0f)));
  return img;
}

float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (std::size_t k = 0; k < a.size(); ++k) d = std::max(d, std::abs(a[k] - b[k]));
  return d;
}
// Where Debian's python3-skimage puts its photographs.
std::string pictures_folder() {
#ifdef WEFT_EXAMPLE_PICTURES
  return WEFT_EXAMPLE_PICTURES;
#else
  return "/usr/lib/python3/dist-packages/skimage/data";
#endif
}

// A side-by-side panel: the original, blurred and edge images (edges
// scaled to their 99.5th percentile, so that a few strong ones do not
// darken the rest), 8 white pixels apart.
std::vector<std::uint8_t> panel(const image_io::colour_image& original, const image_io::colour_image& blurred,
                                const std::vector<float>& edge_values, std::int64_t& panel_width) {
  const std::int64_t h = original.height, w = original.width, gap = 8;
  panel_width = 3 * w + 2 * gap;
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(h * panel_width * 3), 255);
  std::vector<float> sorted = edge_values;
  float top = 1.0f;
  if (!sorted.empty()) {
    const auto at = sorted.begin() + static_cast<std::ptrdiff_t>(0.995 * double(sorted.size() - 1));
    std::nth_element(sorted.begin(), at, sorted.end());
    top = std::max(*at, 1.0f);
  }
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      const std::int64_t k = i * w + j;
      const auto edge = static_cast<std::uint8_t>(
          std::lround(std::clamp(edge_values[static_cast<std::size_t>(k)] * 255.0f / top, 0.0f, 255.0f)));
      for (int c = 0; c < 3; ++c) {
        const int from = original.channels == 3 ? c : 0;
        rgb[static_cast<std::size_t>((i * panel_width + j) * 3 + c)] = original.pixels[k * original.channels + from];
        rgb[static_cast<std::size_t>((i * panel_width + w + gap + j) * 3 + c)] =
            blurred.pixels[k * blurred.channels + from];
        rgb[static_cast<std::size_t>((i * panel_width + 2 * (w + gap) + j) * 3 + c)] = edge;
      }
    }
  return rgb;
}

// Filters one picture (read or drawn on rank 0 as `source` says) and writes
// <prefix>-blur, -edges and -panel. Collective; true where every check holds.
bool filter_one(const weft::communicator& comm, const std::string& source, std::int64_t generated_size,
                const std::string& prefix, const std::string& extension) {
  const bool root = comm.rank() == 0;
  // Rank 0 reads or draws the picture; every rank learns its size.
  image_io::colour_image input;
  std::int64_t size[3] = {0, 0, 1};
  int read_ok = 1;
  if (root) {
    try {
      if (source == "--generate") {
        image_io::gray_image g = generate(generated_size);
        input = image_io::colour_image{g.height, g.width, 1, std::move(g.pixels)};
      } else {
        input = image_io::read_image(source);
      }
      size[0] = input.height;
      size[1] = input.width;
      size[2] = input.channels;
      if (input.channels == 3 && extension == ".pgm")
        throw std::runtime_error(source + " is in colour, which PGM files cannot hold: name a .png prefix");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "image_filter: %s\n", e.what());
      read_ok = 0;
    }
  }
  MPI_Bcast(&read_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!read_ok) return false;
  MPI_Bcast(size, 3, MPI_INT64_T, 0, MPI_COMM_WORLD);
  const std::int64_t h = size[0], w = size[1];
  const int channels = static_cast<int>(size[2]);

  // The blur reads 2 cells away, the Sobel filter diagonal neighbours: the
  // input carries a 2-wide halo, the blurred image a 1-wide one with corners.
  image original(comm, {h, w}, {.halo = 2});
  image blurred(comm, {h, w}, {.halo = 1});
  image edges(comm, {h, w}, {.halo = 0});
  if (root) {
    std::printf("image_filter: %s, %lld x %lld pixels, %s, %d ranks as a %d x %d process grid, on %s\n",
                source == "--generate" ? "generated test picture" : source.c_str(), static_cast<long long>(h),
                static_cast<long long>(w), channels == 3 ? "RGB, filtered per channel" : "grey", comm.size(),
                original.dims()[0], original.dims()[1], Kokkos::DefaultExecutionSpace::name());
  }
  image_io::colour_image blurred_picture{h, w, channels,
                                         std::vector<std::uint8_t>(static_cast<std::size_t>(h * w * channels))};
  std::vector<float> edge_picture(static_cast<std::size_t>(root ? h * w : 0), 0.0f);
  double blur_seconds = 0, sobel_seconds = 0;
  float blur_error = 0, edge_error = 0, strongest = 0;
  for (int c = 0; c < channels; ++c) {
    std::vector<float> values;
    image_io::gray_image channel;
    if (root) {
      channel = input.channel(c);
      values.assign(channel.pixels.begin(), channel.pixels.end());
    }
    weft::scatter(values, original, 0);

    Kokkos::Timer timer;
    weft::stencil(original, blurred, 2, weft::clamp{}, gaussian_blur{});
    Kokkos::fence();
    blur_seconds += timer.seconds();
    timer.reset();
    weft::stencil(blurred, edges, 1, weft::clamp{}, sobel_magnitude{});
    Kokkos::fence();
    sobel_seconds += timer.seconds();
    const auto top = weft::max_loc(edges);
    strongest = std::max(strongest, top.value);

    const auto blur_result = weft::gather(blurred, 0);
    const auto edge_result = weft::gather(edges, 0);
    if (root) {
      const auto blur_pixels = to_pixels(blur_result, h, w, 255.0f);
      for (std::size_t k = 0; k < blur_pixels.pixels.size(); ++k)
        blurred_picture.pixels[k * channels + c] = blur_pixels.pixels[k];
      for (std::size_t k = 0; k < edge_result.size(); ++k) edge_picture[k] = std::max(edge_picture[k], edge_result[k]);
      const std::vector<float> in(channel.pixels.begin(), channel.pixels.end());
      const auto blur_reference = blur_sequentially(in, h, w);
      const auto edge_reference = sobel_sequentially(blur_reference, h, w);
      // Float sums in the same order: equal but for contractions into fused
      // multiply-adds that a device compiler may make.
      blur_error = std::max(blur_error, max_difference(blur_result, blur_reference));
      edge_error = std::max(edge_error, max_difference(edge_result, edge_reference));
    }
  }
  if (root)
    std::printf("  blurred (5 x 5 Gaussian) in %.4f s, edges (Sobel) in %.4f s; strongest edge %.1f\n", blur_seconds,
                sobel_seconds, strongest);

  int ok = 1;
  if (root) {
    const std::string blur_path = prefix + "-blur" + extension, edge_path = prefix + "-edges" + extension;
    if (channels == 3)
      image_io::write_rgb_png(blur_path, h, w, blurred_picture.pixels);
    else
      image_io::write_gray(blur_path, image_io::gray_image{h, w, blurred_picture.pixels});
    image_io::write_gray(edge_path, to_pixels(edge_picture, h, w, std::max(strongest, 1.0f)));
    if (source == "--generate") image_io::write_gray(prefix + "-input" + extension, input.channel(0));
    std::int64_t panel_width = 0;
    const auto side_by_side = panel(input, blurred_picture, edge_picture, panel_width);
    const std::string panel_path = prefix + "-panel.png";
    image_io::write_rgb_png(panel_path, h, panel_width, side_by_side);
    std::printf("  wrote %s, %s and %s\n", blur_path.c_str(), edge_path.c_str(), panel_path.c_str());

    const bool blur_ok = blur_error <= 1e-3f, edge_ok = edge_error <= 1e-2f;
    std::int64_t strong = 0;
    for (float e : edge_picture) strong += e > 0.1f * strongest;
    const bool not_blank = h * w == 0 || (strongest > 1.0f && strong * 100 >= h * w);
    std::printf("max difference from the sequential filters: blur %.2e, edges %.2e: %s\n", blur_error, edge_error,
                blur_ok && edge_ok ? "ok" : "WRONG");
    std::printf("edges: %.1f %% of the pixels above a tenth of the strongest: %s\n",
                h * w > 0 ? 100.0 * double(strong) / double(h * w) : 0.0, not_blank ? "ok" : "BLANK, WRONG");
    std::printf("%.1f Mpixel/s blur, %.1f Mpixel/s Sobel (%d ranks)\n",
                channels * h * w / std::max(blur_seconds, 1e-9) / 1e6,
                channels * h * w / std::max(sobel_seconds, 1e-9) / 1e6, comm.size());
    ok = blur_ok && edge_ok && not_blank;
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return ok != 0;
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();

  // Arguments: an image file, --generate N or --photos (the default); then
  // the output prefix.
  std::string source, prefix = "image_filter";
  std::int64_t generated_size = 512;
  int next_arg = 1;
  if (argc > next_arg) {
    source = argv[next_arg++];
    if (source == "--generate" && argc > next_arg) generated_size = std::atoll(argv[next_arg++]);
  }
  if (argc > next_arg) prefix = argv[next_arg++];
  const std::string extension = image_io::ends_with(prefix, ".pgm") ? ".pgm" : ".png";
  if (extension == ".pgm") prefix.resize(prefix.size() - 4);

  // No input named: skimage's photographs where rank 0 finds them (it tells
  // the others, which must make the same calls), else the generated picture.
  std::vector<std::pair<std::string, std::string>> inputs;  // source, prefix
  if (!source.empty() && source != "--photos") {
    inputs.push_back({source, prefix});
  } else {
    const char* names[] = {"camera", "astronaut", "coins"};
    int present[3] = {0, 0, 0};
    for (int k = 0; k < 3 && comm.rank() == 0; ++k)
      present[k] = std::ifstream(pictures_folder() + "/" + names[k] + ".png").good();
    MPI_Bcast(present, 3, MPI_INT, 0, MPI_COMM_WORLD);
    for (int k = 0; k < 3; ++k)
      if (present[k]) inputs.push_back({pictures_folder() + "/" + names[k] + ".png", prefix + "-" + names[k]});
    if (inputs.empty()) {
      if (comm.rank() == 0)
        std::printf("image_filter: no photographs in %s (install python3-skimage); filtering a generated picture\n",
                    pictures_folder().c_str());
      inputs.push_back({"--generate", prefix});
    }
  }
  bool ok = true;
  for (const auto& [input, output] : inputs) ok = filter_one(comm, input, generated_size, output, extension) && ok;
  return ok ? 0 : 1;
}
