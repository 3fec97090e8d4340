// Host geometries: Cu collectors with features or channels, layered rGO,
// garnet bilayers; classification, volumes of the built meshes against
// closed forms, reproducible random layouts.
#include <dendra/base/parameters.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/cu_collector.h>
#include <dendra/mesh/garnet_bilayer.h>
#include <dendra/mesh/layered_host.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/numbers.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

using namespace dealii;
using namespace dendra;

namespace
{
  /// A geometry plugin of type G parsed from "set" lines of its @p subsection.
  template <typename G>
  G make_geometry(const std::string &subsection, const std::string &settings)
  {
    ParameterHandler prm;
    prm.enter_subsection("Geometry");
    G::declare_parameters(prm);
    prm.leave_subsection();
    read_parameter_string(prm, "subsection Geometry\nsubsection " + subsection + "\n" + settings + "end\nend\n");
    G geometry;
    prm.enter_subsection("Geometry");
    geometry.parse_parameters(prm, MaterialLibrary::defaults());
    prm.leave_subsection();
    return geometry;
  }

  /// Measure (area in 2D, volume in 3D) of the cells of material @p id on
  /// the mesh built with interface resolution @p resolution (m).
  template <int dim>
  double material_measure(const Geometry<dim> &geometry, const types::material_id id, const double resolution)
  {
    MeshBuilder<dim> builder;
    builder.interface_resolution = resolution;
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    builder.build(geometry, tria);
    double measure = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == id)
        measure += cell->measure();
    return Utilities::MPI::sum(measure, MPI_COMM_WORLD);
  }

  constexpr types::material_id li = 1, copper = 2, llzo = 3, rgo = 4, electrolyte = 5, skeleton = 7, empty = 8;
} // namespace

TEST_CASE("Cu collector features classify points and have their area ratio", "[geometry][hosts]")
{
  // Defaults: base 4 um, pitch 8 um, features 6 um high, radius 2 um.
  const auto cones = make_geometry<CuCollector<2>>("Cu collector", "set Feature = cone\nset Feature count = 2\n");
  CHECK(cones.width() == Approx(16e-6));
  CHECK(cones.in_copper(Point<2>(4e-6, 9.9e-6)));       // just under the first tip
  CHECK_FALSE(cones.in_copper(Point<2>(5.1e-6, 7e-6))); // beside the cone's flank at half height
  CHECK(cones.in_copper(Point<2>(12.9e-6, 7e-6)));      // inside the second cone's flank
  CHECK(cones.material_id_at(Point<2>(1e-6, 3e-6)) == copper);
  CHECK(cones.material_id_at(Point<2>(1e-6, 5e-6)) == electrolyte);
  // 2D cone = triangle: surface 2 sqrt(r^2 + h^2) replaces 2 r of base per pitch.
  CHECK(cones.area_ratio() == Approx(1 + (2 * std::sqrt(40.0) - 4) / 8));
  CHECK(cones.surface_region(Point<2>(4e-6, 10e-6)) == CuCollector<2>::SurfaceRegion::tip);
  CHECK(cones.surface_region(Point<2>(4.5e-6, 8.5e-6)) == CuCollector<2>::SurfaceRegion::tip);  // flank, upper half
  CHECK(cones.surface_region(Point<2>(5.5e-6, 5.5e-6)) == CuCollector<2>::SurfaceRegion::side); // flank, lower half
  CHECK(cones.surface_region(Point<2>(0.5e-6, 4e-6)) == CuCollector<2>::SurfaceRegion::base);

  const auto pillars = make_geometry<CuCollector<3>>("Cu collector", "set Feature = cylinder\n");
  CHECK(pillars.area_ratio() == Approx(1 + 2 * numbers::PI * 2 * 6 / 64.0));
  CHECK(pillars.in_copper(Point<3>(4e-6 + 1.4e-6, 4e-6 + 1.4e-6, 9e-6))); // radius 1.98 um
  CHECK_FALSE(pillars.in_copper(Point<3>(4e-6 + 1.5e-6, 4e-6 + 1.5e-6, 9e-6)));

  const auto pyramids = make_geometry<CuCollector<3>>("Cu collector", "set Feature = pyramid\n");
  CHECK(pyramids.in_copper(Point<3>(5.9e-6, 5.9e-6, 4.01e-6))); // the corner of the square base
  const auto cone3d = make_geometry<CuCollector<3>>("Cu collector", "set Feature = cone\n");
  CHECK_FALSE(cone3d.in_copper(Point<3>(5.9e-6, 5.9e-6, 4.01e-6)));

  const auto channels = make_geometry<CuCollector<3>>("Cu collector", "set Feature = channels\n");
  CHECK_FALSE(channels.in_copper(Point<3>(4e-6, 4e-6, 1.5e-6))); // inside the 3 um deep channel
  CHECK(channels.in_copper(Point<3>(4e-6, 4e-6, 0.9e-6)));       // under its bottom
  CHECK(channels.area_ratio() == Approx(1 + numbers::PI * 3 * 3 / 64.0));
  CHECK(channels.surface_region(Point<3>(4e-6 + 2e-6, 4e-6, 4e-6)) == CuCollector<3>::SurfaceRegion::tip);
  CHECK(channels.surface_region(Point<3>(4e-6 + 1.5e-6, 4e-6, 2e-6)) == CuCollector<3>::SurfaceRegion::side);
  CHECK(channels.surface_region(Point<3>(4e-6, 4e-6, 1e-6)) == CuCollector<3>::SurfaceRegion::bottom);
  CHECK(channels.surface_region(Point<3>(0.5e-6, 0.5e-6, 4e-6)) == CuCollector<3>::SurfaceRegion::base);
}

TEST_CASE("Cu collector meshes hold the Cu volume of their closed forms", "[geometry][hosts]")
{
  // 2D: base 16 x 4 um^2 and two triangles r h = 12 um^2 each; 3D: a cone pi r^2 h / 3.
  const auto   cones = make_geometry<CuCollector<2>>("Cu collector", "set Feature = cone\nset Feature count = 2\n");
  const auto   slots = make_geometry<CuCollector<2>>("Cu collector", "set Feature = channels\n");
  const auto   cone  = make_geometry<CuCollector<3>>("Cu collector", "set Feature = cone\n");
  const double cones_area  = material_measure<2>(cones, copper, 0.125e-6);
  const double slots_area  = material_measure<2>(slots, copper, 0.125e-6);
  const double cone_volume = material_measure<3>(cone, copper, 0.5e-6);
  // The bases are built exactly (their faces lie on coarse-cell faces): compare the features alone.
  const double triangles = cones_area - 16 * 4e-12, slot = 8 * 4e-12 - slots_area, cone_only = cone_volume - 256e-18;
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "Cu collector meshes: two triangles " << triangles << " m^2 (exact 2.4e-11), slot " << slot
              << " m^2 (9e-12), 3D cone " << cone_only << " m^3 (" << numbers::PI * 8e-18 << ")" << std::endl;
  CHECK(triangles == Approx(2 * 12e-12).epsilon(0.01));
  CHECK(slot == Approx(3 * 3e-12).epsilon(0.01));
  CHECK(cone_only == Approx(numbers::PI * 4 * 6 / 3 * 1e-18).epsilon(0.05)); // 0.5 um cells on a 2 um radius
}

TEST_CASE("Layered rGO stacks sheets, fills the gaps with Li and seeds reproducible sites", "[geometry][hosts]")
{
  // 4 sheets 0.5 um thick over 1 um gaps, 16 um wide in a 20 um box; Li fills half of every gap.
  const auto host = make_geometry<LayeredHost<2>>("Layered rGO", "");
  CHECK(host.stack_height() == Approx(6e-6));
  CHECK(host.sheet_at(Point<2>(10e-6, 1.2e-6)) == 0);
  CHECK(host.sheet_at(Point<2>(10e-6, 5.9e-6)) == 3);
  CHECK(host.sheet_at(Point<2>(10e-6, 0.9e-6)) == -1);
  CHECK(host.sheet_at(Point<2>(1e-6, 1.2e-6)) == -1);                 // beside the sheets
  CHECK(host.material_id_at(Point<2>(10e-6, 1.6e-6)) == li);          // lower half of gap 1
  CHECK(host.material_id_at(Point<2>(10e-6, 2.4e-6)) == electrolyte); // upper half of gap 1
  CHECK(host.material_id_at(Point<2>(10e-6, 7e-6)) == electrolyte);
  CHECK(host.in_host(Point<2>(10e-6, 2.4e-6)));
  CHECK_FALSE(host.in_host(Point<2>(1e-6, 2.4e-6)));
  // Sheets: 4 x 16 um x 0.5 um; Li: 4 x 16 um x 0.5 um. The coarse cells
  // (0.5 um, no thicker than a sheet) align with every face: exact.
  CHECK(material_measure<2>(host, rgo, 0.125e-6) == Approx(32e-12).epsilon(1e-9));
  CHECK(material_measure<2>(host, li, 0.125e-6) == Approx(32e-12).epsilon(1e-9));

  // A 0.5 um connector post joins every sheet to the collector: rGO through
  // the gaps at the centre, Li only beside it; it adds 4 gaps x 1 um x 0.5
  // um of rGO and takes 4 x 0.5 um x 0.5 um from the Li.
  const auto joined = make_geometry<LayeredHost<2>>("Layered rGO", "set Connector width = 0.5e-6\n");
  for (const double y : {0.1e-6, 0.9e-6, 2.4e-6, 4.4e-6})
    CHECK(joined.material_id_at(Point<2>(10e-6, y)) == rgo);
  CHECK(joined.material_id_at(Point<2>(10e-6, 6.5e-6)) == electrolyte); // the post ends at the top sheet
  CHECK(joined.material_id_at(Point<2>(10.3e-6, 0.1e-6)) == li);
  CHECK(material_measure<2>(joined, rgo, 0.125e-6) == Approx(32e-12 + 2e-12).epsilon(1e-9));
  CHECK(material_measure<2>(joined, li, 0.125e-6) == Approx(32e-12 - 1e-12).epsilon(1e-9));
  CHECK_THROWS_WITH(make_geometry<LayeredHost<2>>("Layered rGO", "set Connector width = 20e-6\n"),
                    Catch::Contains("Geometry/Layered rGO/Connector width"));

  const std::string sites = "set Li fill = 0\nset Lithiophilic sites per sheet = 3\n";
  const auto        a     = make_geometry<LayeredHost<3>>("Layered rGO", sites);
  const auto        b     = make_geometry<LayeredHost<3>>("Layered rGO", sites);
  const auto        c     = make_geometry<LayeredHost<3>>("Layered rGO", sites + "set Random seed = 2\n");
  REQUIRE(a.sites().size() == 12);
  for (std::size_t i = 0; i < a.sites().size(); ++i)
    {
      CHECK(a.sites()[i] == b.sites()[i]);
      CHECK(a.sites()[i] != c.sites()[i]);
      CHECK(std::remainder(a.sites()[i][2], 1.5e-6) == Approx(0).margin(1e-12)); // on a sheet's upper face
      CHECK(std::abs(a.sites()[i][0] - 10e-6) < 8e-6 - 0.3e-6);
      CHECK(a.is_lithiophilic(a.sites()[i]));
      CHECK(a.initial_li_indicator(a.sites()[i] + Tensor<1, 3>({0, 0, 0.2e-6})) == 1.0);
    }
}

TEST_CASE("Garnet bilayers have the requested porosity and reproducible pores", "[geometry][hosts]")
{
  // Overlapping pores reach the requested porosity on average: 5 seeds of
  // about 1000 pores of 1 um in a 100 x 10 um^2 layer (the standard
  // deviation of one layer's porosity is about 0.02, of the mean 0.01).
  double mean = 0;
  for (unsigned int seed = 1; seed <= 5; ++seed)
    {
      const std::string settings =
        "set Width = 100e-6\nset Pore diameter = 1e-6\nset Random seed = " + std::to_string(seed) + "\n";
      mean += make_geometry<GarnetBilayer<2>>("Garnet bilayer", settings).sampled_porosity(200) / 5;
    }
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "garnet bilayer: mean porosity of 5 layouts " << mean << " (requested 0.5)" << std::endl;
  CHECK(mean == Approx(0.5).margin(0.03));

  // Li 2 um | porous 10 um (3 um pores, porosity 0.5) | dense 6 um.
  const auto bilayer = make_geometry<GarnetBilayer<2>>("Garnet bilayer", "");
  CHECK(bilayer.material_id_at(Point<2>(10e-6, 1e-6)) == li);
  CHECK(bilayer.material_id_at(Point<2>(10e-6, 15e-6)) == llzo);
  unsigned int pores = 0, solid = 0;
  for (unsigned int i = 0; i < 100; ++i)
    {
      const Point<2> p(0.2e-6 * i, 7e-6);
      const auto     id = bilayer.material_id_at(p);
      CHECK((id == li || id == skeleton));
      (bilayer.in_pore(p) ? pores : solid) += 1;
      CHECK((id == li) == bilayer.in_pore(p));
    }
  CHECK(pores > 10);
  CHECK(solid > 10);

  const auto   same   = make_geometry<GarnetBilayer<2>>("Garnet bilayer", "");
  const auto   dry    = make_geometry<GarnetBilayer<2>>("Garnet bilayer", "set Infiltrated = false\n");
  const auto   other  = make_geometry<GarnetBilayer<2>>("Garnet bilayer", "set Random seed = 7\n");
  unsigned int differ = 0;
  for (unsigned int i = 0; i < 400; ++i)
    {
      const Point<2> p(0.05e-6 * i, 2e-6 + 0.025e-6 * i);
      CHECK(same.material_id_at(p) == bilayer.material_id_at(p));
      CHECK(dry.material_id_at(p) == (bilayer.in_pore(p) ? empty : bilayer.material_id_at(p)));
      differ += other.in_pore(p) != bilayer.in_pore(p);
    }
  CHECK(differ > 20);

  // The bucketed pore search finds exactly the pores a search through all finds.
  const auto brute_force = [](const GarnetBilayer<2> &g, const Point<2> &p) {
    for (const auto &c : g.pore_centres())
      if (p.distance(c) < 1.5e-6)
        return true;
    return false;
  };
  unsigned int agree = 0;
  for (unsigned int i = 0; i < 2000; ++i)
    {
      const Point<2> p(20e-6 * std::fmod(0.618034 * i, 1.0), 2e-6 + 10e-6 * std::fmod(0.414214 * i, 1.0));
      agree += bilayer.in_pore(p) == brute_force(bilayer, p);
    }
  CHECK(agree == 2000);

  const auto trilayer =
    make_geometry<GarnetBilayer<3>>("Garnet bilayer", "set Top porous thickness = 4e-6\nset Porosity = 0.3\n");
  const double lower_porosity = trilayer.sampled_porosity(40);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "garnet trilayer (3D): porosity of the Li-filled layer " << lower_porosity << " (requested 0.3)"
              << std::endl;
  CHECK(lower_porosity == Approx(0.3).margin(0.1)); // 170 pores: 2.5 standard deviations
  CHECK(trilayer.layer_at(Point<3>(1e-6, 1e-6, 20e-6)) == GarnetBilayer<3>::Layer::top_porous);
  unsigned int top_pores = 0, top_solid = 0;
  for (unsigned int i = 0; i < 100; ++i)
    {
      const auto id = trilayer.material_id_at(Point<3>(0.2e-6 * i, 10e-6, 20e-6));
      top_pores += id == empty;
      top_solid += id == skeleton;
    }
  CHECK(top_pores > 5); // the top layer's pores are empty, its skeleton porous LLZO
  CHECK(top_solid > 5);
  CHECK(top_pores + top_solid == 100);
}
