#pragma once

#include <deal.II/base/point.h>
#include <deal.II/base/types.h>
#include <deal.II/distributed/tria.h>

#include <memory>
#include <set>
#include <vector>

namespace dendra
{
  /// The surface of a conducting host (Cu, rGO) in a mesh: the vertices shared
  /// by host cells and other cells, gathered from all ranks, with a spatial
  /// index for nearest-point queries. Deposition uses it to apply a host's
  /// surface kinetics near the surface, to attribute plated Li to the surface
  /// region it grew from, and (with the Li metal cells as the "host") to
  /// smooth the geometry's initial Li into the phase field's equilibrium profile.
  template <int dim>
  class HostSurface
  {
  public:
    /// An empty surface (no host).
    HostSurface();
    ~HostSurface();
    /// The surface between cells of @p host_ids and the other cells of
    /// @p triangulation, except cells of @p ignored_ids, which lie on neither
    /// side (collective: every rank gets all surface points).
    HostSurface(const dealii::parallel::distributed::Triangulation<dim> &triangulation,
                const std::set<dealii::types::material_id>              &host_ids,
                const std::set<dealii::types::material_id>              &ignored_ids = {});
    HostSurface(HostSurface &&) noexcept;
    HostSurface &operator=(HostSurface &&) noexcept;

    /// True if the mesh has no host surface.
    bool empty() const { return materials.empty(); }
    /// Number of surface points (vertices) (-).
    std::size_t size() const { return materials.size(); }
    /// Index of the surface point nearest to @p p (empty(): invalid).
    std::size_t nearest(const dealii::Point<dim> &p) const;
    /// The surface point with index @p i (m).
    const dealii::Point<dim> &point(std::size_t i) const;
    /// Material id of the host cells at surface point @p i (the smallest, where hosts meet).
    dealii::types::material_id material(std::size_t i) const { return materials[i]; }
    /// Distance from @p p to the nearest surface point (m); infinite if empty().
    double distance(const dealii::Point<dim> &p) const;

  private:
    /// The points and the R-tree over them (which refers to them, so both
    /// stay at one address when the surface is moved).
    struct Index;
    std::vector<dealii::types::material_id> materials;
    std::unique_ptr<Index>                  index;
  };
} // namespace dendra
