#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/box.h>

#include <deal.II/grid/grid_generator.h>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void Box<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Box");
    const char *axes = "XYZ";
    for (unsigned int d = 0; d < 3; ++d)
      {
        const std::string axis(1, axes[d]);
        prm.declare_entry(axis + " extent", "1e-5", Patterns::Double(),
                          "Edge length along " + axis + " (m), > 0" + (d == 2 ? "; 3D only." : "."));
        prm.declare_entry(axis + " repetitions", "1", Patterns::Integer(1, 1000),
                          "Coarse cells along " + axis + " (-)" + (d == 2 ? "; 3D only." : "."));
      }
    prm.declare_entry("Material", "LLZO", Patterns::Selection(MaterialLibrary::pattern_names()),
                      "Material filling the box (when Layers is empty).");
    prm.declare_entry("Layers", "", Patterns::Anything(),
                      "Layers along x from x = 0, 'material: thickness; ...' with thicknesses in m that add up to "
                      "X extent, e.g. 'Polymer electrolyte: 5e-5; LLZO: 5e-5'; empty: one Material. Put layer "
                      "boundaries on coarse-cell faces (X repetitions) to keep the interfaces sharp.");
    prm.leave_subsection();
  }

  template <int dim>
  void Box<dim>::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Box");
    const char *axes = "XYZ";
    for (unsigned int d = 0; d < 3; ++d)
      {
        const std::string axis(1, axes[d]);
        extent[d]      = prm.get_double(axis + " extent");
        repetitions[d] = prm.get_integer(axis + " repetitions");
        require_input(d >= dim || extent[d] > 0,
                      "Geometry/Box/" + axis + " extent = " + format_number(extent[d]) + " m must be > 0");
      }
    material_name = prm.get("Material");
    layers.clear();
    double end = 0;
    for (const auto &[name, thickness] : parse_named_values(prm.get("Layers"), "Geometry/Box/Layers"))
      {
        require_input(thickness > 0, "Geometry/Box/Layers: layer '" + name + "' has thickness " +
                                       format_number(thickness) + " m; it must be > 0");
        end += thickness;
        layers.push_back({end, materials.by_name(name, "Geometry/Box/Layers").id, name});
      }
    require_input(layers.empty() || std::abs(end - extent[0]) <= 1e-9 * extent[0],
                  "Geometry/Box/Layers: the thicknesses add up to " + format_number(end) +
                    " m, but X extent = " + format_number(extent[0]) + " m");
    if (layers.empty())
      layers.push_back({extent[0], materials.by_name(material_name, "Geometry/Box/Material").id, material_name});
    prm.leave_subsection();
  }

  template <int dim>
  void Box<dim>::create_coarse_mesh(Triangulation<dim> &triangulation) const
  {
    Point<dim>                p;
    std::vector<unsigned int> reps(dim);
    for (unsigned int d = 0; d < dim; ++d)
      {
        p[d]    = extent[d];
        reps[d] = repetitions[d];
      }
    GridGenerator::subdivided_hyper_rectangle(triangulation, reps, Point<dim>(), p, /*colorize=*/true);
  }

  template <int dim>
  const typename Box<dim>::Layer &Box<dim>::layer_at(const Point<dim> &p) const
  {
    for (const auto &layer : layers)
      if (p[0] < layer.end)
        return layer;
    return layers.back();
  }

  template <int dim>
  types::material_id Box<dim>::material_id_at(const Point<dim> &p) const
  {
    return layer_at(p).material_id;
  }

  template <int dim>
  double Box<dim>::initial_li_indicator(const Point<dim> &p) const
  {
    return layer_at(p).material_name == "Li metal" ? 1.0 : 0.0;
  }

  template <int dim>
  std::string Box<dim>::description() const
  {
    std::string size;
    for (unsigned int d = 0; d < dim; ++d)
      size += (d ? " x " : "") + format_number(extent[d]);
    std::string filling;
    for (const auto &layer : layers)
      filling += (filling.empty() ? "" : " | ") + layer.material_name;
    return "box " + size + " m of " + filling;
  }

  template class Box<2>;
  template class Box<3>;
} // namespace dendra

DENDRA_REGISTER_PLUGIN(dendra::Geometry, dendra::Box, "box", "a rectangle/cuboid of one material.")
