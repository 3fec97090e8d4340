#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/interfacial_defect.h>

#include <cmath>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void InterfacialDefect<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Interfacial defect");
    prm.declare_entry("Electrolyte width", "20e-6", Patterns::Double(),
                      "Width W of the slab in every horizontal direction (m), > 0.");
    prm.declare_entry("Electrolyte thickness", "10e-6", Patterns::Double(),
                      "Thickness H of the solid electrolyte above the interface (m), > 0.");
    prm.declare_entry("Electrode thickness", "2e-6", Patterns::Double(),
                      "Thickness h of the Li electrode below the interface (m), > 0.");
    prm.declare_entry("Defect shape", "semi-circle",
                      Patterns::Selection("semi-circle|semi-sphere|triangle|pyramid|rectangle|cuboid|cone"),
                      "Shape of the Li-filled defect: semi-circle (= semi-sphere in 3D; a semi-ellipse "
                      "unless aspect ratio = 0.5), triangle (= square pyramid in 3D), rectangle (= cuboid "
                      "in 3D) or cone (= triangle in 2D).");
    prm.declare_entry("Defect width", "2e-6", Patterns::Double(),
                      "Opening width of the defect at the interface (m), in (0, W).");
    prm.declare_entry("Defect size", "0", Patterns::Double(),
                      "Area (2D, m^2) or volume (3D, m^3) of the defect; > 0 sets the opening width from it "
                      "and the aspect ratio (shapes compared at equal size), 0 uses Defect width.");
    prm.declare_entry("Defect aspect ratio", "0.5", Patterns::Double(),
                      "Depth / opening width of the defect (-), > 0; depth must stay below H.");
    prm.declare_entry("Electrolyte material", "LLZO", Patterns::Selection(MaterialLibrary::pattern_names()),
                      "Material of the solid-electrolyte slab.");
    prm.declare_entry("Electrode material", "Li metal", Patterns::Selection(MaterialLibrary::pattern_names()),
                      "Material of the electrode and of the defect filling.");
    prm.leave_subsection();
  }

  template <int dim>
  void InterfacialDefect<dim>::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Interfacial defect");
    const std::string where = "Geometry/Interfacial defect/";
    electrolyte_width       = prm.get_double("Electrolyte width");
    electrolyte_thickness   = prm.get_double("Electrolyte thickness");
    electrode_thickness     = prm.get_double("Electrode thickness");
    width                   = prm.get_double("Defect width");
    aspect_ratio            = prm.get_double("Defect aspect ratio");
    const double size       = prm.get_double("Defect size");
    shape_name              = prm.get("Defect shape");
    electrolyte_name        = prm.get("Electrolyte material");
    electrolyte_id          = materials.by_name(electrolyte_name, where + "Electrolyte material").id;
    electrode_id            = materials.by_name(prm.get("Electrode material"), where + "Electrode material").id;
    prm.leave_subsection();

    if (shape_name == "semi-circle" || shape_name == "semi-sphere")
      shape = Shape::semi_circle;
    else if (shape_name == "triangle" || shape_name == "pyramid")
      shape = Shape::triangle;
    else if (shape_name == "rectangle" || shape_name == "cuboid")
      shape = Shape::rectangle;
    else
      shape = Shape::cone;
    require_input(size >= 0, where + "Defect size = " + format_number(size) + " must not be negative");
    if (size > 0 && aspect_ratio > 0)
      width = std::pow(size / (shape_factor() * aspect_ratio), 1.0 / dim);

    require_positive(where, {{"Electrolyte width", electrolyte_width},
                             {"Electrolyte thickness", electrolyte_thickness},
                             {"Electrode thickness", electrode_thickness},
                             {"Defect width", width},
                             {"Defect aspect ratio", aspect_ratio}});
    require_input(width < electrolyte_width,
                  where + "Defect width = " + format_number(width) +
                    " m must be smaller than Electrolyte width = " + format_number(electrolyte_width) + " m");
    require_input(
      depth() < electrolyte_thickness,
      where + "Defect aspect ratio = " + format_number(aspect_ratio) + " gives depth " + format_number(depth()) +
        " m, which must be smaller than Electrolyte thickness = " + format_number(electrolyte_thickness) + " m");
  }

  template <int dim>
  double InterfacialDefect<dim>::shape_factor() const
  {
    // size = factor x aspect ratio x width^dim: semi-ellipse pi/4, triangle
    // 1/2, rectangle 1; semi-ellipsoid pi/6, pyramid 1/3, cuboid 1, cone pi/12.
    switch (shape)
      {
      case Shape::semi_circle:
        return dim == 2 ? numbers::PI / 4 : numbers::PI / 6;
      case Shape::triangle:
        return dim == 2 ? 0.5 : 1.0 / 3;
      case Shape::rectangle:
        return 1.0;
      case Shape::cone:
        return dim == 2 ? 0.5 : numbers::PI / 12;
      }
    return 1.0;
  }

  template <int dim>
  void InterfacialDefect<dim>::create_coarse_mesh(Triangulation<dim> &triangulation) const
  {
    // Near-cubic coarse cells: the smallest extent sets the size.
    const double h0 = std::min({electrolyte_width, electrolyte_thickness, electrode_thickness});
    create_slab_mesh(triangulation, -electrolyte_width / 2, electrolyte_width / 2, -electrode_thickness,
                     electrolyte_thickness, h0);
  }

  template <int dim>
  bool InterfacialDefect<dim>::in_defect(const Point<dim> &p) const
  {
    const double s = p[dim - 1]; // height above the interface
    if (s < 0)
      return false;
    const double half   = width / 2;
    double       radial = 0, max_abs = 0; // horizontal distance: Euclidean and max-norm
    for (unsigned int d = 0; d + 1 < dim; ++d)
      {
        radial += p[d] * p[d];
        max_abs = std::max(max_abs, std::abs(p[d]));
      }
    radial = std::sqrt(radial);
    switch (shape)
      {
      case Shape::semi_circle:
        return std::pow(radial / half, 2) + std::pow(s / depth(), 2) < 1;
      case Shape::triangle:
        return s < depth() * (1 - max_abs / half);
      case Shape::rectangle:
        return max_abs < half && s < depth();
      case Shape::cone:
        return s < depth() * (1 - radial / half);
      }
    return false;
  }

  template <int dim>
  types::material_id InterfacialDefect<dim>::material_id_at(const Point<dim> &p) const
  {
    return (p[dim - 1] < 0 || in_defect(p)) ? electrode_id : electrolyte_id;
  }

  template <int dim>
  double InterfacialDefect<dim>::initial_li_indicator(const Point<dim> &p) const
  {
    return (p[dim - 1] < 0 || in_defect(p)) ? 1.0 : 0.0;
  }

  template <int dim>
  std::map<types::boundary_id, std::string> InterfacialDefect<dim>::boundary_names() const
  {
    return slab_boundary_names<dim>("electrode bottom", "electrolyte top");
  }

  template <int dim>
  std::string InterfacialDefect<dim>::description() const
  {
    return shape_name + " defect, width " + format_number(width) + " m, depth " + format_number(depth()) +
           " m (aspect ratio " + format_number(aspect_ratio) + "), in " + electrolyte_name + " " +
           format_number(electrolyte_width) + " m wide, " + format_number(electrolyte_thickness) + " m thick, on " +
           format_number(electrode_thickness) + " m of Li";
  }

  template class InterfacialDefect<2>;
  template class InterfacialDefect<3>;
} // namespace dendra

DENDRA_REGISTER_PLUGIN(dendra::Geometry, dendra::InterfacialDefect, "interfacial defect",
                       "a solid-electrolyte slab on a Li electrode with a Li-filled defect at the interface.")
