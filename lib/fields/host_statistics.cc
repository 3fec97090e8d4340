#include <dendra/fields/host_statistics.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_tools.h>

#include <cmath>
#include <iomanip>
#include <istream>
#include <ostream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  HostStatistics<dim>::HostStatistics(const Geometry<dim> &geometry, const Electrodeposition<dim> &deposition)
    : geometry(geometry)
    , deposition(deposition)
    , regions(geometry.host_surface_regions())
  {}

  template <int dim>
  bool HostStatistics<dim>::active() const
  {
    return geometry.host_height() > 0 || !regions.empty();
  }

  template <int dim>
  void HostStatistics<dim>::update_mesh()
  {
    const auto &tria = deposition.get_triangulation();
    const auto  box  = GridTools::compute_bounding_box(tria);
    projected_area   = 1;
    for (unsigned int d = 0; d + 1 < dim; ++d)
      projected_area *= box.side_length(d);
    if (initial_thickness < 0)
      initial_thickness = electrode_thickness();
    if (regions.empty() || deposition.host_surface().empty())
      return;
    // Host faces towards other cells, each counted once: from the finer side,
    // from the host side between cells of one level.
    region_area.assign(regions.size(), 0.0);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          {
            if (cell->at_boundary(f) || cell->face(f)->has_children())
              continue;
            const auto neighbor = cell->neighbor(f);
            const bool host = deposition.is_host_cell(cell), other_host = deposition.is_host_cell(neighbor);
            if (host == other_host || (!cell->neighbor_is_coarser(f) && !host))
              continue;
            region_area[geometry.host_surface_region(cell->face(f)->center())] += cell->face(f)->measure();
          }
    const std::vector<double> local_area = region_area;
    Utilities::MPI::sum(ArrayView<const double>(local_area), tria.get_communicator(), ArrayView<double>(region_area));
    previous_volume = region_volumes();
  }

  template <int dim>
  void HostStatistics<dim>::save_state(std::ostream &out) const
  {
    out << std::setprecision(17) << initial_thickness << '\n';
  }

  template <int dim>
  void HostStatistics<dim>::load_state(std::istream &in)
  {
    in >> initial_thickness;
  }

  template <int dim>
  std::vector<double> HostStatistics<dim>::region_volumes() const
  {
    const auto &surface = deposition.host_surface();
    return deposition.li_volumes(
      [&](const Point<dim> &p) { return geometry.host_surface_region(surface.point(surface.nearest(p))); },
      regions.size());
  }

  template <int dim>
  double HostStatistics<dim>::electrode_thickness() const
  {
    const auto volumes = deposition.li_volumes([&](const Point<dim> &p) { return geometry.in_host(p) ? 0u : 1u; }, 2);
    return geometry.host_height() + volumes[1] / projected_area;
  }

  template <int dim>
  void HostStatistics<dim>::add_columns(StatisticsTable &table, const double dt)
  {
    const std::string volume_unit = dim == 2 ? "m^2" : "m^3";
    const auto        inside_outside =
      deposition.li_volumes([&](const Point<dim> &p) { return geometry.in_host(p) ? 0u : 1u; }, 2);
    table.add_value("li_volume_inside_host", volume_unit, inside_outside[0]);
    table.add_value("li_volume_outside_host", volume_unit, inside_outside[1]);
    const double thickness = geometry.host_height() + inside_outside[1] / projected_area;
    table.add_value("electrode_thickness", "m", thickness);
    table.add_value("thickness_change", "%",
                    initial_thickness > 0 ? 100 * (thickness - initial_thickness) / initial_thickness : 0.0);
    if (regions.empty() || deposition.host_surface().empty())
      return;
    const auto  &p       = deposition.get_parameters();
    const double n_F_cs  = p.charge_number * constants::faraday / p.molar_volume; // C/m^3
    const auto   volumes = region_volumes();
    for (unsigned int r = 0; r < regions.size(); ++r)
      {
        const double current = n_F_cs * (volumes[r] - previous_volume[r]) / dt;
        table.add_value("plating_current_" + regions[r], dim == 2 ? "A/m" : "A", current);
        table.add_value("plating_current_density_" + regions[r], "A/m^2",
                        region_area[r] > 0 ? current / region_area[r] : 0.0);
      }
    previous_volume = volumes;
  }

  template class HostStatistics<2>;
  template class HostStatistics<3>;
} // namespace dendra
