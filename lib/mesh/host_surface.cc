#include <dendra/mesh/host_surface.h>

#include <deal.II/base/mpi.h>
#include <deal.II/numerics/rtree.h>

#include <algorithm>
#include <limits>
#include <map>

namespace dendra
{
  using namespace dealii;

  /// The R-tree over the indices of the surface points.
  template <int dim>
  struct HostSurface<dim>::Index
  {
    explicit Index(std::vector<Point<dim>> &&surface_points)
      : points(std::move(surface_points))
      , tree(pack_rtree_of_indices(points))
    {}
    std::vector<Point<dim>>                                                          points;
    decltype(pack_rtree_of_indices(std::declval<const std::vector<Point<dim>> &>())) tree;
  };

  template <int dim>
  HostSurface<dim>::HostSurface() = default;
  template <int dim>
  HostSurface<dim>::~HostSurface() = default;
  template <int dim>
  HostSurface<dim>::HostSurface(HostSurface &&) noexcept = default;
  template <int dim>
  HostSurface<dim> &HostSurface<dim>::operator=(HostSurface &&) noexcept = default;

  template <int dim>
  HostSurface<dim>::HostSurface(const parallel::distributed::Triangulation<dim> &tria,
                                const std::set<types::material_id>              &host_ids,
                                const std::set<types::material_id>              &ignored_ids)
  {
    if (host_ids.empty())
      return;
    // A vertex is on the surface if it touches a host cell and another cell.
    // Owned and ghost cells together hold every cell around an owned cell's
    // vertex, so the owned cells' vertices are classified completely here.
    const types::material_id        none = numbers::invalid_material_id;
    std::vector<types::material_id> host_at(tria.n_vertices(), none);
    std::vector<bool>               other_at(tria.n_vertices(), false);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() || cell->is_ghost())
        for (const unsigned int v : cell->vertex_indices())
          {
            const auto i = cell->vertex_index(v);
            if (host_ids.count(cell->material_id()))
              host_at[i] = std::min(host_at[i], cell->material_id());
            else if (!ignored_ids.count(cell->material_id()))
              other_at[i] = true;
          }
    std::map<unsigned int, std::pair<Point<dim>, types::material_id>> mine; // by vertex, without duplicates
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int v : cell->vertex_indices())
          {
            const auto i = cell->vertex_index(v);
            if (host_at[i] != none && other_at[i])
              mine[i] = {cell->vertex(v), host_at[i]};
          }
    std::vector<std::pair<Point<dim>, types::material_id>> local;
    for (const auto &[i, entry] : mine)
      local.push_back(entry);
    // Vertices on partition boundaries come from more than one rank, with
    // identical coordinates: keep one of each, so that every rank holds the same surface.
    std::vector<std::pair<Point<dim>, types::material_id>> all;
    for (const auto &part : Utilities::MPI::all_gather(tria.get_communicator(), local))
      all.insert(all.end(), part.begin(), part.end());
    const auto before = [](const auto &a, const auto &b) {
      for (unsigned int d = 0; d < dim; ++d)
        if (a.first[d] != b.first[d])
          return a.first[d] < b.first[d];
      return a.second < b.second;
    };
    std::sort(all.begin(), all.end(), before);
    all.erase(std::unique(all.begin(), all.end()), all.end());
    std::vector<Point<dim>> points;
    for (const auto &[p, id] : all)
      {
        points.push_back(p);
        materials.push_back(id);
      }
    if (!points.empty())
      index = std::make_unique<Index>(std::move(points));
  }

  template <int dim>
  std::size_t HostSurface<dim>::nearest(const Point<dim> &p) const
  {
    if (empty())
      return numbers::invalid_unsigned_int;
    std::vector<std::size_t> found;
    index->tree.query(boost::geometry::index::nearest(p, 1), std::back_inserter(found));
    return found.front();
  }

  template <int dim>
  double HostSurface<dim>::distance(const Point<dim> &p) const
  {
    return empty() ? std::numeric_limits<double>::infinity() : p.distance(point(nearest(p)));
  }

  template <int dim>
  const Point<dim> &HostSurface<dim>::point(const std::size_t i) const
  {
    AssertIndexRange(i, size());
    return index->points[i];
  }

  template class HostSurface<2>;
  template class HostSurface<3>;
} // namespace dendra
