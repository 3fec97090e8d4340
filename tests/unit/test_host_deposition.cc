// Plating in conducting hosts (Electrodeposition with Host materials,
// HostSurface, HostStatistics): Faraday's law with the host excluded from
// the Li, the currents per surface region, and the surface kinetics of
// lithiophobic and lithiophilic hosts.
#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>
#include <dendra/mesh/host_surface.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <string>

using namespace dealii;
using namespace dendra;

namespace
{
  constexpr double faraday = 96485.33212, li_molar_volume = 1.30e-5;

  /// One 2D Cu cone (tip radius 0.5 um) in an 8 um wide cell under 12 um of
  /// liquid electrolyte, plated galvanostatically at 1000 A/m^2 for 1 s.
  std::string cone_cell(const std::string &extra = "")
  {
    return "set Dimension = 2\n"
           "set Output directory = host-deposition\n"
           "subsection Simulation\n  set Fields = deposition\n  set End time = 1\nend\n"
           "subsection Geometry\n  set Model name = Cu collector\n  subsection Cu collector\n"
           "    set Feature = cone\n    set Tip radius = 0.5e-6\n    set Electrolyte thickness = 12e-6\n"
           "  end\nend\n"
           "subsection Mesh refinement\n  set Interface resolution = 0.25e-6\n  set Adaptation interval = 2\nend\n"
           "subsection Electrodeposition\n  set Host materials = Cu\n  set Initial phase = 0\n"
           "  set Interface thickness = 1e-6\n  set Interface mobility = 2.5e-8\n  set Anisotropy strength = 0\n"
           "  subsection Boundary conditions\n    set Reservoir = reservoir\n  end\nend\n"
           "subsection Current program\n  set Working electrode = collector\n  set Steps = plate 1000 1\nend\n"
           "subsection Time stepping\n  set Initial time step = 0.01\nend\n"
           "subsection Postprocess\n  set Write vtu = false\nend\n" +
           extra;
  }

  /// Runs @p text and returns its statistics.
  StatisticsTable run(const std::string &text)
  {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    read_parameter_string(prm, text);
    Simulator<2> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    return simulator.statistics();
  }
} // namespace

TEST_CASE("The host surface is found from any rank", "[host-deposition]")
{
  // A 4 x 4 um square of 0.5 um cells whose lower half (y < 2 um) is the host.
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_cube(tria, 8, 0, 4e-6);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(cell->center()[1] < 2e-6 ? 2 : 5);
  const HostSurface<2> surface(tria, {2});
  // The 9 vertices on y = 2 um, once each on every rank; the surface is
  // sampled at its vertices.
  CHECK(surface.size() == 9);
  CHECK(surface.distance(Point<2>(1.5e-6, 3.5e-6)) == Approx(1.5e-6).epsilon(1e-12));
  CHECK(surface.material(surface.nearest(Point<2>(0.1e-6, 0.1e-6))) == 2);
  CHECK(HostSurface<2>(tria, {}).empty());
}

TEST_CASE("Plating on a Cu host obeys Faraday's law and focuses on the tip", "[host-deposition]")
{
  const auto   s     = run(cone_cell());
  const auto   last  = s.n_rows() - 1;
  const double width = 8e-6, i = 1000, t = s.value(last, "time");
  // The host's xi = 1 is not Li: what plates is i Omega / F per area.
  const double plated   = s.value(last, "li_volume") - s.value(0, "li_volume");
  const double expected = i * width * li_molar_volume / faraday * (t - s.value(0, "time"));
  // The regions' currents add up to the applied one.
  double region_total = 0;
  for (const std::string region : {"tip", "side", "base", "bottom"})
    region_total += s.value(last, "plating_current_" + region);
  const double tip  = s.value(last, "plating_current_density_tip");
  const double base = s.value(last, "plating_current_density_base");
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "host plating: Li area " << plated << " m^2 vs Faraday " << expected << "; region currents "
              << region_total << " A/m vs " << i * width << "; tip / base current density " << tip / base
              << "; electrode potential " << s.value(last, "electrode_potential") << " V" << std::endl;
  CHECK(plated == Approx(expected).epsilon(0.01));
  CHECK(region_total == Approx(i * width).epsilon(0.03));
  CHECK(tip > 1.2 * base);
  CHECK(s.value(last, "electrode_potential") < 0);
  CHECK(s.value(last, "li_volume_inside_host") > 0);
}

TEST_CASE("Lithiophobic hosts need their nucleation overpotential and a slow exchange current costs more",
          "[host-deposition]")
{
  // The same plating at 0.05 s, while the deposit is thinner than the
  // interface: the electrode potential with the default Cu (30 mV), with a
  // lithiophilic Cu (0 mV), and with a 10 times smaller exchange current.
  const auto potential = [](const std::string &cu) {
    const auto s = run(cone_cell("subsection Simulation\n  set End time = 0.05\nend\n"
                                 "subsection Materials\n  subsection Cu\n" +
                                 cu + "  end\nend\n"));
    return s.value(s.n_rows() - 1, "electrode_potential");
  };
  const double lithiophobic = potential("    set Nucleation overpotential = 0.03\n");
  const double lithiophilic = potential("    set Nucleation overpotential = 0\n");
  const double slow = potential("    set Nucleation overpotential = 0\n    set Exchange current factor = 0.1\n");
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "host kinetics: electrode potential " << lithiophobic << " V (30 mV nucleation), " << lithiophilic
              << " V (none), " << slow << " V (exchange current / 10)" << std::endl;
  CHECK(lithiophobic < lithiophilic - 0.01);
  CHECK(lithiophobic > lithiophilic - 0.03);
  CHECK(slow < lithiophilic - 0.02);
}
