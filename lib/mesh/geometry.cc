#include <dendra/base/plugins.h>
#include <dendra/mesh/geometry.h>

#include <deal.II/grid/grid_generator.h>

#include <cmath>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  std::map<types::boundary_id, std::string> box_boundary_names()
  {
    std::map<types::boundary_id, std::string> names;
    const char                               *axes = "xyz";
    for (unsigned int d = 0; d < dim; ++d)
      {
        names[2 * d]     = std::string(1, axes[d]) + " min";
        names[2 * d + 1] = std::string(1, axes[d]) + " max";
      }
    return names;
  }

  template <int dim>
  void create_slab_mesh(Triangulation<dim> &triangulation, const double x_min, const double x_max, const double bottom,
                        const double top, const double cell_size)
  {
    const auto cells = [cell_size](const double length) {
      return static_cast<unsigned int>(std::max(1.0, std::round(length / cell_size)));
    };
    Point<dim>                lower, upper;
    std::vector<unsigned int> reps(dim);
    for (unsigned int d = 0; d + 1 < dim; ++d)
      {
        lower[d] = x_min;
        upper[d] = x_max;
        reps[d]  = cells(x_max - x_min);
      }
    lower[dim - 1] = bottom;
    upper[dim - 1] = top;
    reps[dim - 1]  = cells(top - bottom);
    GridGenerator::subdivided_hyper_rectangle(triangulation, reps, lower, upper, /*colorize=*/true);
  }

  template <int dim>
  std::map<types::boundary_id, std::string> slab_boundary_names(const std::string &bottom, const std::string &top)
  {
    auto names                 = box_boundary_names<dim>();
    names[slab_bottom_id<dim>] = bottom;
    names[slab_top_id<dim>]    = top;
    return names;
  }

  template <int dim>
  std::map<types::boundary_id, std::string> Geometry<dim>::boundary_names() const
  {
    return box_boundary_names<dim>();
  }

  void declare_geometry_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Geometry");
    prm.declare_entry("Model name", "interfacial defect", Patterns::Selection(PluginRegistry<Geometry<2>>::pattern()),
                      "Geometry plugin: " + PluginRegistry<Geometry<2>>::documentation());
    PluginRegistry<Geometry<2>>::declare_all(prm);
    prm.leave_subsection();
  }

  template <int dim>
  std::unique_ptr<Geometry<dim>> create_geometry(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Geometry");
    auto geometry = PluginRegistry<Geometry<dim>>::create(prm.get("Model name"), "Geometry/Model name");
    geometry->parse_parameters(prm, materials);
    prm.leave_subsection();
    return geometry;
  }

  template class Geometry<2>;
  template class Geometry<3>;
  template std::unique_ptr<Geometry<2>> create_geometry<2>(ParameterHandler &, const MaterialLibrary &);
  template std::unique_ptr<Geometry<3>> create_geometry<3>(ParameterHandler &, const MaterialLibrary &);
  template void                         create_slab_mesh<2>(Triangulation<2> &, double, double, double, double, double);
  template void                         create_slab_mesh<3>(Triangulation<3> &, double, double, double, double, double);
  template std::map<types::boundary_id, std::string> slab_boundary_names<2>(const std::string &, const std::string &);
  template std::map<types::boundary_id, std::string> slab_boundary_names<3>(const std::string &, const std::string &);
  template std::map<types::boundary_id, std::string> box_boundary_names<2>();
  template std::map<types::boundary_id, std::string> box_boundary_names<3>();
} // namespace dendra
