// Geometry plugins and the mesh builder: defect shapes, interface
// refinement to the requested resolution, gmsh import.
#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/gmsh_file.h>
#include <dendra/mesh/interfacial_defect.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

using namespace dealii;
using namespace dendra;

namespace
{
  /// An interfacial defect with the given shape, width 2 um, aspect ratio 1.
  template <int dim>
  InterfacialDefect<dim> make_defect(const std::string &shape, const double aspect_ratio = 1.0)
  {
    ParameterHandler prm;
    prm.enter_subsection("Geometry");
    InterfacialDefect<dim>::declare_parameters(prm);
    prm.leave_subsection();
    read_parameter_string(prm, "subsection Geometry\nsubsection Interfacial defect\nset Defect shape = " + shape +
                                 "\nset Defect aspect ratio = " + std::to_string(aspect_ratio) + "\nend\nend\n");
    InterfacialDefect<dim> defect;
    prm.enter_subsection("Geometry");
    defect.parse_parameters(prm, MaterialLibrary::defaults());
    prm.leave_subsection();
    return defect;
  }

  /// Area (2D) or volume (3D) of the Li cells above the interface.
  template <int dim>
  double defect_measure(const InterfacialDefect<dim> &defect, const double resolution)
  {
    MeshBuilder<dim> builder;
    builder.interface_resolution = resolution;
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    builder.build(defect, tria);
    double measure = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == 1 && cell->center()[dim - 1] > 0)
        measure += cell->measure();
    return Utilities::MPI::sum(measure, MPI_COMM_WORLD);
  }
} // namespace

TEST_CASE("Interfacial defect shapes classify points", "[geometry]")
{
  const double w    = 2e-6;
  const auto   semi = make_defect<2>("semi-circle", 0.5);
  CHECK(semi.depth() == Approx(1e-6));
  CHECK(semi.in_defect(Point<2>(0, 0.99e-6)));
  CHECK_FALSE(semi.in_defect(Point<2>(0.8e-6, 0.8e-6)));
  CHECK_FALSE(semi.in_defect(Point<2>(0, -1e-7))); // electrode, not defect
  CHECK(semi.material_id_at(Point<2>(0, -1e-7)) == 1);
  CHECK(semi.material_id_at(Point<2>(5e-6, 5e-6)) == 3);

  const auto triangle = make_defect<2>("triangle", 2.0);
  CHECK(triangle.in_defect(Point<2>(0, 3.9e-6)));
  CHECK_FALSE(triangle.in_defect(Point<2>(0.5e-6, 2.1e-6))); // outside the slanted side
  CHECK(triangle.in_defect(Point<2>(0.5e-6, 1.9e-6)));

  const auto pyramid = make_defect<3>("pyramid", 1.0);
  CHECK(pyramid.in_defect(Point<3>(0.45e-6, 0.45e-6, 1e-6))); // square base: corner region
  CHECK_FALSE(pyramid.in_defect(Point<3>(0.55e-6, 0.55e-6, 1e-6)));
  const auto cone = make_defect<3>("cone", 1.0);
  CHECK_FALSE(cone.in_defect(Point<3>(0.45e-6, 0.45e-6, 1e-6))); // round base: outside
  CHECK(cone.in_defect(Point<3>(0.3e-6, 0.3e-6, 1e-6)));
  const auto cuboid = make_defect<3>("cuboid", 0.5);
  CHECK(cuboid.in_defect(Point<3>(0.99e-6, -0.99e-6, 0.99e-6)));
  CHECK_FALSE(cuboid.in_defect(Point<3>(0, 0, 1.01e-6)));
  (void)w;
}

TEST_CASE("Interface refinement resolves the defect to the requested size", "[geometry]")
{
  const double w = 2e-6;
  // Exact areas with depth d = w (aspect ratio 1).
  const double semi_area = numbers::PI * (w / 2) * w / 2, triangle_area = w * w / 2, rectangle_area = w * w;
  for (const double h : {1e-7, 5e-8})
    {
      INFO("resolution " << h);
      CHECK(defect_measure(make_defect<2>("semi-circle"), h) == Approx(semi_area).epsilon(4 * h / w));
      CHECK(defect_measure(make_defect<2>("triangle"), h) == Approx(triangle_area).epsilon(4 * h / w));
      CHECK(defect_measure(make_defect<2>("rectangle"), h) == Approx(rectangle_area).epsilon(1e-10));
    }
  // Interface cells are no larger than the resolution; others may be coarse.
  MeshBuilder<2> builder;
  builder.interface_resolution                   = 1e-7;
  const auto                              defect = make_defect<2>("semi-circle");
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  builder.build(defect, tria);
  double largest_interface = 0, largest = 0;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        largest = std::max(largest, cell->minimum_vertex_distance());
        if (MeshBuilder<2>::is_interface_cell(defect, cell))
          largest_interface = std::max(largest_interface, cell->minimum_vertex_distance());
      }
  CHECK(Utilities::MPI::max(largest_interface, MPI_COMM_WORLD) <= 1e-7 * (1 + 1e-9));
  CHECK(Utilities::MPI::max(largest, MPI_COMM_WORLD) >= 1e-6); // far field stays coarse
}

TEST_CASE("Cells coarsened back to their parents keep their material", "[geometry]")
{
  MeshBuilder<2> builder;
  builder.initial_global_refinement              = 3;
  builder.interface_resolution                   = 2e-7;
  const auto                              defect = make_defect<2>("rectangle");
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  builder.build(defect, tria);
  for (unsigned int round = 0; round < 2; ++round)
    {
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && !MeshBuilder<2>::is_interface_cell(defect, cell))
          cell->set_coarsen_flag();
      tria.execute_coarsening_and_refinement();
    }
  unsigned int wrong = 0;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned() && !MeshBuilder<2>::is_interface_cell(defect, cell))
      wrong += (cell->material_id() != defect.material_id_at(cell->center()));
  CHECK(Utilities::MPI::sum(wrong, MPI_COMM_WORLD) == 0);
}

TEST_CASE("Defect parameters are validated", "[geometry]")
{
  CHECK_THROWS_WITH(make_defect<2>("triangle", 6.0),
                    Catch::Contains("Defect aspect ratio") && Catch::Contains("Electrolyte thickness"));
}

TEST_CASE("Gmsh meshes bring material and boundary ids", "[geometry]")
{
  ParameterHandler prm;
  prm.enter_subsection("Geometry");
  GmshFile<2>::declare_parameters(prm);
  prm.leave_subsection();
  read_parameter_string(prm, "subsection Geometry\nsubsection Gmsh\nset File name = " DENDRA_SOURCE_DIR
                             "/meshes/two_materials.msh\nset Length unit = 1e-6\nend\nend\n");
  GmshFile<2> gmsh;
  prm.enter_subsection("Geometry");
  gmsh.parse_parameters(prm, MaterialLibrary::defaults());
  prm.leave_subsection();
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  MeshBuilder<2>().build(gmsh, tria);
  REQUIRE(tria.n_global_active_cells() == 2);
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      CHECK(cell->material_id() == (cell->center()[0] < 1e-6 ? 1 : 3));
  const auto ids = tria.get_boundary_ids();
  CHECK(std::count(ids.begin(), ids.end(), 7) == 1);
  CHECK(std::count(ids.begin(), ids.end(), 8) == 1);

  read_parameter_string(prm, "subsection Geometry\nsubsection Gmsh\nset File name = no/such/file.msh\nend\nend\n");
  prm.enter_subsection("Geometry");
  CHECK_THROWS_WITH(gmsh.parse_parameters(prm, MaterialLibrary::defaults()),
                    Catch::Contains("Geometry/Gmsh/File name") && Catch::Contains("no/such/file.msh"));
  prm.leave_subsection();
}
