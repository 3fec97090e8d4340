#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/layered_host.h>

#include "seeded_uniform.h"

#include <cmath>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void LayeredHost<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Layered rGO");
    prm.declare_entry("Sheet count", "4", Patterns::Integer(1, 1000), "Number N of stacked rGO sheets (-).");
    prm.declare_entry("Sheet thickness", "0.5e-6", Patterns::Double(), "Thickness of one sheet (m), > 0.");
    prm.declare_entry("Interlayer gap", "1e-6", Patterns::Double(),
                      "Gap under every sheet (the first one on the collector) (m), > 0.");
    prm.declare_entry("Lateral size", "16e-6", Patterns::Double(),
                      "Width L of the sheets in every horizontal direction, centred in the box (m), in (0, Width].");
    prm.declare_entry("Width", "20e-6", Patterns::Double(), "Width of the box in every horizontal direction (m), > 0.");
    prm.declare_entry("Electrolyte thickness", "6e-6", Patterns::Double(), "Electrolyte above the top sheet (m), > 0.");
    prm.declare_entry("Li fill", "0.5", Patterns::Double(0, 1),
                      "Li in the gaps under the sheets, as a fraction of the gap height from its bottom (-), in [0, "
                      "1]; the rest of the gaps holds electrolyte.");
    prm.declare_entry("Connector width", "0", Patterns::Double(),
                      "Width of a vertical rGO post (a wall in 2D) at the centre of the sheets that joins every "
                      "sheet to the one below and the lowest to the collector (m), >= 0 and below Lateral size; "
                      "0: none, and the sheets conduct to the collector only through Li that bridges a gap "
                      "(real rGO films touch at wrinkles and edges; the post stands in for those contacts).");
    prm.declare_entry("Lithiophilic sites per sheet", "0", Patterns::Integer(0, 10000),
                      "Li nuclei on the upper face of every sheet, at random positions (-).");
    prm.declare_entry("Site radius", "0.3e-6", Patterns::Double(),
                      "Radius of the hemispherical nuclei at lithiophilic sites (m), > 0.");
    prm.declare_entry("Random seed", "1", Patterns::Integer(0),
                      "Seed of the site positions (-): equal seeds give equal layouts on every machine.");
    prm.declare_entry("Electrolyte material", "Liquid electrolyte",
                      Patterns::Selection(MaterialLibrary::pattern_names()),
                      "Material around the sheets and in the empty part of the gaps.");
    prm.leave_subsection();
  }

  template <int dim>
  void LayeredHost<dim>::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Layered rGO");
    const std::string where = "Geometry/Layered rGO/";
    sheet_count             = prm.get_integer("Sheet count");
    sheet_thickness         = prm.get_double("Sheet thickness");
    gap                     = prm.get_double("Interlayer gap");
    lateral_size            = prm.get_double("Lateral size");
    width                   = prm.get_double("Width");
    electrolyte_thickness   = prm.get_double("Electrolyte thickness");
    li_fill                 = prm.get_double("Li fill");
    connector_width         = prm.get_double("Connector width");
    sites_per_sheet         = prm.get_integer("Lithiophilic sites per sheet");
    site_radius             = prm.get_double("Site radius");
    seed                    = prm.get_integer("Random seed");
    electrolyte_name        = prm.get("Electrolyte material");
    electrolyte_id          = materials.by_name(electrolyte_name, where + "Electrolyte material").id;
    rgo_id                  = materials.by_name("rGO", where + "(rGO)").id;
    li_id                   = materials.by_name("Li metal", where + "(Li metal)").id;
    prm.leave_subsection();

    require_positive(where,
                     {{"Sheet thickness", sheet_thickness},
                      {"Interlayer gap", gap},
                      {"Width", width},
                      {"Electrolyte thickness", electrolyte_thickness},
                      {"Site radius", site_radius}},
                     "m");
    require_input(lateral_size > 0 && lateral_size <= width, where + "Lateral size = " + format_number(lateral_size) +
                                                               " m must be in (0, Width = " + format_number(width) +
                                                               " m]");
    require_input(connector_width >= 0 && connector_width < lateral_size,
                  where + "Connector width = " + format_number(connector_width) +
                    " m must be in [0, Lateral size = " + format_number(lateral_size) + " m)");
    require_input(sites_per_sheet == 0 || 2 * site_radius < lateral_size,
                  where + "Site radius = " + format_number(site_radius) + " m must be below Lateral size / 2");
    place_sites();
  }

  template <int dim>
  void LayeredHost<dim>::place_sites()
  {
    SeededUniform uniform(seed);
    const double  lower = (width - lateral_size) / 2 + site_radius;
    const double  span  = lateral_size - 2 * site_radius;
    site_centres.clear();
    for (unsigned int k = 0; k < sheet_count; ++k)
      for (unsigned int i = 0; i < sites_per_sheet; ++i)
        {
          Point<dim> centre;
          for (unsigned int d = 0; d + 1 < dim; ++d)
            centre[d] = lower + span * uniform();
          centre[dim - 1] = (k + 1) * (gap + sheet_thickness);
          site_centres.push_back(centre);
        }
  }

  template <int dim>
  void LayeredHost<dim>::create_coarse_mesh(Triangulation<dim> &triangulation) const
  {
    // MeshBuilder finds interfaces at the vertices, face centres and centre
    // of a cell, half a cell apart: coarse cells about as thick as the
    // thinner of sheet, gap and connector cannot miss one. (Cubic coarse cells: sheets
    // much thinner than the box is wide make many coarse cells in 3D.)
    double h0 = std::min({gap, sheet_thickness, width / 2});
    if (connector_width > 0)
      h0 = std::min(h0, connector_width);
    create_slab_mesh(triangulation, 0.0, width, 0.0, stack_height() + electrolyte_thickness, h0);
  }

  template <int dim>
  bool LayeredHost<dim>::under_sheets(const Point<dim> &p) const
  {
    for (unsigned int d = 0; d + 1 < dim; ++d)
      if (std::abs(p[d] - width / 2) > lateral_size / 2)
        return false;
    return true;
  }

  template <int dim>
  bool LayeredHost<dim>::in_connector(const Point<dim> &p) const
  {
    if (connector_width == 0 || p[dim - 1] < 0 || p[dim - 1] >= stack_height())
      return false;
    for (unsigned int d = 0; d + 1 < dim; ++d)
      if (std::abs(p[d] - width / 2) >= connector_width / 2)
        return false;
    return true;
  }

  template <int dim>
  int LayeredHost<dim>::sheet_at(const Point<dim> &p) const
  {
    if (!under_sheets(p) || p[dim - 1] < 0 || p[dim - 1] >= stack_height())
      return -1;
    const double period = gap + sheet_thickness;
    const int    k      = static_cast<int>(std::floor(p[dim - 1] / period));
    return p[dim - 1] - k * period >= gap ? k : -1;
  }

  template <int dim>
  bool LayeredHost<dim>::is_lithiophilic(const Point<dim> &p) const
  {
    for (const auto &centre : site_centres)
      if (p.distance(centre) < site_radius)
        return true;
    return false;
  }

  template <int dim>
  bool LayeredHost<dim>::in_host(const Point<dim> &p) const
  {
    return under_sheets(p) && p[dim - 1] < stack_height();
  }

  template <int dim>
  unsigned int LayeredHost<dim>::host_surface_region(const Point<dim> &p) const
  {
    // The cells align with the layers, so the top face is exact; the sheet
    // ends are a staircase within a coarse cell (the thinner of gap and sheet).
    const double tolerance = 1e-3 * std::min(gap, sheet_thickness);
    for (unsigned int d = 0; d + 1 < dim; ++d)
      if (std::abs(p[d] - width / 2) > lateral_size / 2 - std::min(gap, sheet_thickness))
        return 1;
    return p[dim - 1] > stack_height() - tolerance ? 0 : 2;
  }

  template <int dim>
  double LayeredHost<dim>::initial_li_indicator(const Point<dim> &p) const
  {
    if (sheet_at(p) >= 0 || in_connector(p))
      return 0.0;
    if (in_host(p))
      {
        const double period = gap + sheet_thickness;
        const double height = p[dim - 1] - std::floor(p[dim - 1] / period) * period; // above the gap's bottom
        if (height < li_fill * gap)
          return 1.0;
      }
    return is_lithiophilic(p) ? 1.0 : 0.0;
  }

  template <int dim>
  types::material_id LayeredHost<dim>::material_id_at(const Point<dim> &p) const
  {
    if (sheet_at(p) >= 0 || in_connector(p))
      return rgo_id;
    return initial_li_indicator(p) > 0 ? li_id : electrolyte_id;
  }

  template <int dim>
  std::map<types::boundary_id, std::string> LayeredHost<dim>::boundary_names() const
  {
    return slab_boundary_names<dim>("collector", "reservoir");
  }

  template <int dim>
  std::string LayeredHost<dim>::description() const
  {
    return std::to_string(sheet_count) + " rGO sheets " + format_number(sheet_thickness) + " m thick, gaps " +
           format_number(gap) + " m (Li fill " + format_number(li_fill) + "), " + format_number(lateral_size) +
           " m wide" + (connector_width > 0 ? ", joined by a " + format_number(connector_width) + " m connector" : "") +
           ", " + std::to_string(site_centres.size()) + " lithiophilic sites, in " + format_number(width) + " m of " +
           electrolyte_name;
  }

  template class LayeredHost<2>;
  template class LayeredHost<3>;
} // namespace dendra

DENDRA_REGISTER_PLUGIN(dendra::Geometry, dendra::LayeredHost, "layered rGO",
                       "a stack of rGO sheets with Li in the gaps, on a collector under an electrolyte.")
