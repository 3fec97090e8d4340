#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/gmsh_file.h>

#include <deal.II/grid/grid_in.h>
#include <deal.II/grid/grid_tools.h>

#include <fstream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void GmshFile<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Gmsh");
    prm.declare_entry("File name", "", Patterns::Anything(),
                      "Path of the gmsh .msh file (format 2.2 or 4); relative to the working directory.");
    prm.declare_entry("Length unit", "1", Patterns::Double(),
                      "Length of one mesh unit in m (e.g. 1e-6 for a mesh drawn in micrometres), > 0.");
    prm.leave_subsection();
  }

  template <int dim>
  void GmshFile<dim>::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Gmsh");
    file_name = prm.get("File name");
    scale     = prm.get_double("Length unit");
    prm.leave_subsection();
    require_input(!file_name.empty(), "Geometry/Gmsh/File name is empty; name a .msh file");
    require_input(static_cast<bool>(std::ifstream(file_name)),
                  "Geometry/Gmsh/File name: cannot open mesh file '" + file_name + "'");
    require_input(scale > 0, "Geometry/Gmsh/Length unit = " + format_number(scale) + " must be > 0");
    for (const auto &m : materials.all())
      known_ids.insert(m.id);
    li_id = materials.by_name("Li metal").id;
  }

  template <int dim>
  void GmshFile<dim>::create_coarse_mesh(Triangulation<dim> &triangulation) const
  {
    GridIn<dim> grid_in;
    grid_in.attach_triangulation(triangulation);
    std::ifstream in(file_name);
    try
      {
        grid_in.read_msh(in);
      }
    catch (const ExceptionBase &e)
      {
        throw InputError("Geometry/Gmsh/File name: cannot read mesh file '" + file_name + "': " + one_line_message(e));
      }
    GridTools::scale(scale, triangulation);
    for (const auto &cell : triangulation.active_cell_iterators())
      require_input(known_ids.count(cell->material_id()) == 1,
                    "mesh file '" + file_name + "': physical tag " + std::to_string(cell->material_id()) +
                      " of a cell is not the Material id of any material in subsection Materials");
  }

  template <int dim>
  types::material_id GmshFile<dim>::material_id_at(const Point<dim> &) const
  {
    return numbers::invalid_material_id;
  }

  template <int dim>
  double GmshFile<dim>::initial_li_indicator(const Point<dim> &) const
  {
    return 0.0; // the Li cells are known by their material id
  }

  template <int dim>
  std::map<types::boundary_id, std::string> GmshFile<dim>::boundary_names() const
  {
    return {};
  }

  template <int dim>
  std::string GmshFile<dim>::description() const
  {
    return "gmsh mesh '" + file_name + "'";
  }

  template class GmshFile<2>;
  template class GmshFile<3>;
} // namespace dendra

DENDRA_REGISTER_PLUGIN(dendra::Geometry, dendra::GmshFile, "gmsh",
                       "a body-fitted mesh from a gmsh .msh file (physical tags = material/boundary ids).")
